from __future__ import annotations

import subprocess
import sys

import pytest

from reelrag.errors import MissingDependencyError, NotFoundError
from reelrag.plugins import BUILTINS, KINDS, Registry, registry


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(NotFoundError) as info:
        registry.get("generator", "nope")
    assert "camera" in str(info.value)


def test_every_builtin_resolves_to_a_class_with_from_settings() -> None:
    for key in BUILTINS:
        kind, _, name = key.partition(".")
        assert kind in KINDS
        assert callable(registry.get(kind, name).from_settings), key


def test_missing_module_names_the_extra() -> None:
    reg = Registry()
    reg.register("generator", "gpu", "torch_that_is_absent.pipelines:Thing")
    with pytest.raises(MissingDependencyError, match="pip install"):
        reg.get("generator", "gpu")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown backend kind"):
        Registry().register("widget", "x", "a:b")


def test_import_reelrag_stays_light() -> None:
    code = (
        "import sys, reelrag, reelrag.cli.main\n"
        "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'boto3') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
