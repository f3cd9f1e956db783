"""Hypothesis fuzzing of every batch-file parser (templates, CSV, JSON Lines, JSON, YAML) and of
the web app's JSON bodies, with deep nesting and alias bombs mixed in: the only failure is a
one-line :class:`InputError` (HTTP 4xx), never a RecursionError, a MemoryError or a 500."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reelrag.batch import read_prompt_file
from reelrag.cli.main import app as cli_app
from reelrag.errors import InputError
from reelrag.parsing import MAX_DEPTH, json_depth, load_json, load_yaml

SUFFIXES = (".txt", ".csv", ".jsonl", ".json", ".yaml")
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])  # fmt: skip


def alias_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def nested(depth: int, open_: str, close: str, core: str = "1") -> str:
    return open_ * depth + core + close * depth


hostile = st.one_of(
    st.builds(alias_bomb, st.integers(2, 12), st.integers(2, 9)),
    st.builds(
        nested,
        st.integers(1, 30_000),
        st.sampled_from(["[", '{"a": ', "- "]),
        st.sampled_from(["]", "}", ""]),
    ),
    st.builds(lambda d: "".join("  " * i + "k:\n" for i in range(d)), st.integers(1, 2000)),
    st.builds(lambda d: "rows:\n" + "  - " * d + "x\n", st.integers(1, 3000)),
    st.builds(lambda n: '{"prompt": "zoom", "mask": "' + "a" * n + '"}\n', st.integers(0, 5000)),
    st.text(max_size=400),
    st.builds(
        json.dumps,
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=True)
            | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=30,
        ),
    ),
)


@FUZZ
@given(text=hostile, suffix=st.sampled_from(SUFFIXES))
def test_batch_files_fail_only_with_input_error(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    started = time.monotonic()
    try:
        rows = read_prompt_file(path, object_text="a shoe", action_text="spins")
    except InputError as err:
        assert "\n" not in err.message
    else:
        assert rows
    assert time.monotonic() - started < 5


@FUZZ
@given(text=hostile)
def test_json_and_yaml_loaders_bound_depth_and_refuse_aliases(text: str) -> None:
    for load in (load_json, load_yaml):
        try:
            data = load(text, "f")
        except InputError:
            continue
        assert json_depth(json.dumps(data, default=str)) <= MAX_DEPTH + 1


def test_an_alias_bomb_is_refused_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="aliases"):
        load_yaml(alias_bomb(12, 9), "bomb.yaml")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("name", "text"),
    [("deep.json", nested(100_000, "[", "]")), ("deep.yaml", nested(20_000, "[", "]")),
     ("bomb.yaml", alias_bomb(10, 9)), ("deep.jsonl", nested(50_000, "[", "]") + "\n")],
)  # fmt: skip
def test_the_cli_prints_one_line_for_hostile_batch_files(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(cli_app, ["--workspace", str(tmp_path / "ws"), "batch",
                                          str(path), "--dry-run"])  # fmt: skip
    assert isinstance(result.exception, InputError | SystemExit), repr(result.exception)
    if isinstance(result.exception, InputError):
        assert "\n" not in result.exception.message


fastapi = pytest.importorskip("fastapi")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=5),
    max_leaves=40,
)  # fmt: skip
bodies = st.one_of(
    json_values.map(json.dumps),
    st.builds(
        nested,
        st.integers(1, 100_000),
        st.sampled_from(["[", '{"a":']),
        st.sampled_from(["]", "}"]),
    ),
    st.builds(
        lambda d: '{"query": "car", "filters": ' + nested(d, "[", "]") + "}", st.integers(1, 50_000)
    ),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from reelrag.server.app import create_app
    from reelrag.settings import load_settings
    from webclient import api_client

    settings = load_settings({"workspace": tmp_path_factory.mktemp("fuzz") / "ws"}, environ={})
    with api_client(create_app(settings, start_workers=False)) as test_client:
        yield test_client


@FUZZ
@given(body=bodies, route=st.sampled_from(["/api/search", "/api/generate", "/api/estimate",
                                           "/api/inpaint"]))  # fmt: skip
def test_json_bodies_never_cause_a_server_error(client, body: str, route: str) -> None:  # type: ignore[no-untyped-def]
    reply = client.post(route, content=body.encode("utf-8", "surrogatepass"),
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert reply.status_code < 500, (route, body[:200], reply.text)
    if reply.status_code >= 400:
        assert set(reply.json()) == {"error", "message", "hint", "retryable"}


def test_the_depth_check_refuses_exactly_the_bodies_nested_too_deeply() -> None:
    from reelrag.parsing import check_json_depth

    texts = ['{"query": "red shoes", "limit": 12}', '{"q": "' + "[{" * 80 + '"}']
    for depth in (1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH):
        texts += ["[" * depth + "]" * depth, '{"a": ' + "[" * depth + "]" * depth + "}"]
    for text in texts:
        too_deep = json_depth(text) > MAX_DEPTH
        try:
            check_json_depth(text, "body")
        except InputError:
            assert too_deep, text[:40]
        else:
            assert not too_deep, text[:40]
    assert json_depth('{"q": "' + "[{" * 80 + '"}') == 1  # brackets in strings never count
