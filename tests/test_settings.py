from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelrag.errors import ConfigError
from reelrag.settings import field_names, load_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    config = tmp_path / "reelrag.toml"
    config.write_text('[reelrag]\nfps = 30\nwidth = 640\ngenerator = "camera"\n')
    env = {"REELRAG_FPS": "25", "REELRAG_CONFIG": str(config)}
    settings = load_settings({"width": 320, "height": None}, environ=env)
    assert (settings.fps, settings.width, settings.height) == (25, 320, 720)
    assert settings.sources["fps"] == "env"
    assert settings.sources["width"] == "flag"
    assert settings.sources["generator"] == f"file:{config}"
    assert settings.sources["height"] == "default"


def test_config_file_in_cwd_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "reelrag.toml").write_text("min_score = 0.5\n")
    assert load_settings(environ={}).min_score == 0.5


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("fsp = 30\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*fsp"):
        load_settings(config_file=config, environ={})


def test_bad_value_names_the_setting_and_source() -> None:
    with pytest.raises(ConfigError, match=r"fps='fast' \(from env\)"):
        load_settings(environ={"REELRAG_FPS": "fast"})


def test_invalid_toml_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("fps = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=config, environ={})


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.fps = 1  # type: ignore[misc]


def test_token_is_masked_in_public_dict() -> None:
    settings = load_settings({"server_token": "s3cret"}, environ={})
    assert settings.public_dict()["server_token"] == "***"


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOCS.read_text(), flags=re.M))
    missing = set(field_names()) - documented
    stale = documented - set(field_names())
    assert not missing, f"undocumented settings: {sorted(missing)}"
    assert not stale, f"documented settings that do not exist: {sorted(stale)}"


def test_documented_defaults_match_the_code() -> None:
    defaults = load_settings(environ={}).public_dict()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", DOCS.read_text(), flags=re.M)
    assert rows
    for name, shown in rows:
        value = defaults[name]
        expected = str(value).lower() if isinstance(value, bool) else str(value)
        assert shown == expected, f"docs/settings.md says {name} = {shown}, the code {expected}"


def test_boolean_settings_take_the_usual_words_and_refuse_others() -> None:
    assert load_settings(environ={"REELRAG_MATCH_OBJECTS": "Off"}).match_objects is False
    assert load_settings(environ={"REELRAG_QA_CHECK": " yes "}).qa_check is True
    with pytest.raises(ConfigError, match=r"match_objects='maybe'.*not a valid bool"):
        load_settings(environ={"REELRAG_MATCH_OBJECTS": "maybe"})
