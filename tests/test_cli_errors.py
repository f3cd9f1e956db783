"""The console script's error line shows messages verbatim (brackets are not console markup)."""

from __future__ import annotations

import pytest

from reelrag.cli import main
from reelrag.errors import ReelragError


def test_error_line_keeps_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        hint = "pip install 'reelrag[web]'"
        raise ReelragError("cannot read [/red] photo [final].jpg", hint=hint)

    monkeypatch.setattr(main, "app", fail)
    with pytest.raises(SystemExit) as exit_info:
        main.run()
    err = " ".join(capsys.readouterr().err.split())
    assert exit_info.value.code != 0
    assert "cannot read [/red] photo [final].jpg" in err and "reelrag[web]" in err
