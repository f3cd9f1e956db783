"""The layer rule and the shape of the package, checked on the source itself.

Imports point down: front ends -> batch/jobs/reel -> pipeline -> retrieval/library/editing/
generation -> index/embeddings/captioning/media -> storage/aws/settings/types. Lazy imports inside
functions count too (they still couple the packages); ``if TYPE_CHECKING:`` imports do not.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reelrag"

# Lower number = lower layer. A module may import its own layer or lower ones.
LAYERS: dict[str, int] = {
    "errors": 0, "types": 0, "settings": 0, "events": 0, "sqlite": 0, "plugins": 0, "parsing": 0,
    "storage": 1, "aws": 1, "localmodels": 1, "data": 1, "raycluster": 1,
    "media": 2, "captioning": 2, "embeddings": 2, "index": 2, "contactsheet": 2,
    "diversity": 2,
    "retrieval": 3, "matching": 3, "evaluation": 3, "library": 3, "editing": 3, "generation": 3,
    "testing": 3, "samples": 3,
    "pipeline": 4, "finishing": 4, "qa": 4,
    "batch": 5, "jobs": 5, "reel": 5, "provenance": 2, "gallery": 6, "doctor": 6,
    "cli": 7, "server": 7,
}  # fmt: skip


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("reelrag.")}


def _modules() -> dict[str, Path]:
    return {
        "reelrag." + ".".join(p.relative_to(SRC).with_suffix("").parts): p
        for p in SRC.rglob("*.py")
    }


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m in _modules()} - {"__init__", "py"}
    assert packages <= set(LAYERS), f"give these a layer: {sorted(packages - set(LAYERS))}"


def test_imports_point_down() -> None:
    upward = []
    for module, path in _modules().items():
        mine = LAYERS.get(_package(module), 99)
        for target in _imports(path):
            theirs = LAYERS.get(_package(target), 0)
            if theirs > mine:
                upward.append(f"{module} -> {target}")
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_no_two_unrelated_modules_share_a_file_name() -> None:
    # A backend's file named after it in each kind (captioning/bedrock.py, editing/diffusers.py)
    # and the front ends' noun modules are the allowed repeats.
    allowed = {"__init__", "base", "bedrock", "diffusers", "transformers", "index", "client",
               "batch", "generate", "jobs", "library", "inpaint", "doctor", "gallery", "search",
               "demo", "generator", "editor", "plan", "files", "reel", "check",
               "ingest"}  # fmt: skip
    names = Counter(p.stem for p in SRC.rglob("*.py"))
    repeated = {name for name, count in names.items() if count > 1} - allowed
    assert not repeated, f"modules sharing a file name: {sorted(repeated)}"


DEFAULTED_GETATTR = re.compile(r'getattr\((self\.)?settings, "\w+", ')  # restates a default


def test_settings_are_typed() -> None:
    loose = [
        f"{p.relative_to(SRC)}:{n}"
        for p in SRC.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "settings: Any" in line or DEFAULTED_GETATTR.search(line)
    ]
    assert not loose, "type settings as Settings and read its fields directly:\n" + "\n".join(loose)
