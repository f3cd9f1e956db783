"""Verdicts on matches: the store, and search, batch planning, eval and the CLI obeying them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirunner import run_cli
from reelrag.errors import InputError, NoMatchError, NotFoundError
from reelrag.library import Library
from reelrag.library.verdicts import Verdicts, query_key
from reelrag.retrieval import best_matches
from reelrag.settings import load_settings
from retrieval_library import captioned_library
from webclient import ingested_workspace


def test_the_store_keeps_one_verdict_per_query_and_photo(tmp_path: Path) -> None:
    store = Verdicts(tmp_path / "catalog.sqlite")
    store.judge("Red  Car", "a1", "wrong")
    store.judge("red car", "a1", "right")  # the same pair: replaced
    store.judge("red car", "b2", "wrong")
    store.judge("blue car", "a1", "wrong")
    assert store.for_query(" RED car ") == {"a1": "right", "b2": "wrong"}
    assert {(r.query, r.asset_id) for r in store.rows("red car")} == {
        ("red car", "a1"), ("red car", "b2")}  # fmt: skip
    assert len(store.rows()) == 3
    assert store.forget("red car", "b2") == 1 and store.for_query("red car") == {"a1": "right"}
    assert store.forget_asset("a1") == 2 and store.rows() == []
    store.judge("red car", "a1", "wrong")
    store.close()
    reopened = Verdicts(tmp_path / "catalog.sqlite")  # kept on disk
    assert reopened.for_query("red car") == {"a1": "wrong"}
    with pytest.raises(InputError, match="unknown verdict 'maybe'"):
        reopened.judge("red car", "a1", "maybe")
    with pytest.raises(InputError, match="the query is empty"):
        reopened.judge("  ", "a1", "wrong")
    assert query_key("\tA  b ") == "a b"


@pytest.fixture(scope="module")
def library_ws(tmp_path_factory: pytest.TempPathFactory, sample_photos: Path) -> Path:
    root = tmp_path_factory.mktemp("verdicts")
    return ingested_workspace(root, sample_photos, ("vehicles", "food", "animals"))


@pytest.fixture
def library(library_ws: Path, tmp_path: Path) -> Library:
    ws = tmp_path / "ws"
    shutil.copytree(library_ws, ws)
    return Library(load_settings({"workspace": ws}, environ={}))


def _top(library: Library, query: str) -> str:
    """The id of the query's best candidate, accepted or not."""
    return next(iter(library.search(query, min_score=0.0))).asset.id


def test_a_wrong_photo_is_never_returned_for_that_query(library: Library) -> None:
    query = "a red car parked in a workshop"
    wrong = _top(library, query)
    library.judge(query, wrong[:8], "wrong")
    for again in (query, "A RED car  parked in a workshop"):
        assert wrong not in {hit.asset.id for hit in library.search(again, min_score=0.0)}
    assert _top(library, "a red motorcycle") == wrong  # other queries are not touched
    try:
        chosen = best_matches(library, query, library.settings)[0].asset.id
    except NoMatchError:  # either another photo passes the rule, or none does
        pass
    else:
        assert chosen != wrong  # what batch planning and generate use


def test_a_right_photo_is_accepted_and_says_why(library: Library) -> None:
    query = "a cup of joe"
    right = _top(library, query)
    rule = next(iter(library.search(query, min_score=0.0))).score
    library.judge(query, right, "right")
    results = library.search(query)
    assert results.verdicts == {right: "right"}
    found = list(results)
    assert found[0].asset.id == right and found[0].score == 1.0
    assert found[0].why.startswith(f"marked right (rule {rule:.2f}) · match ")
    assert best_matches(library, "A cup of JOE", library.settings)[0].asset.id == right


def test_eval_measures_the_rule_without_the_verdicts(library: Library, tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text("query,expected\na cup of joe,coffee.jpg\nred shoes,none\n")
    before = library.evaluate(queries).to_dict()
    library.judge("a cup of joe", _top(library, "a cup of joe"), "right")
    library.judge("red shoes", _top(library, "red shoes"), "right")
    assert library.evaluate(queries).to_dict() == before


def test_removing_a_photo_forgets_its_verdicts(library: Library) -> None:
    asset = library.judge("a ginger cat", _top(library, "a ginger cat"), "wrong")
    library.remove(asset.id)
    assert library.verdicts.rows() == []
    with pytest.raises(NotFoundError):
        library.judge("a ginger cat", asset.id, "right")


def test_cli_marks_lists_and_forgets(library: Library) -> None:
    ws = library.settings.workspace
    query = "a cup of joe"
    code, out = run_cli(ws, "search", query, "--min-score", "1.0")
    top = _top(library, query)
    assert code == 3 and f"reelrag verdict right 'a cup of joe' {top[:12]}" in out
    code, out = run_cli(ws, "verdict", "right", query, top[:10])
    assert code == 0 and f"marked {top[:12]} (" in out and "right for 'a cup of joe'" in out
    assert f"'a cup of joe' now finds: {top[:12]} (" in out and "(score 1.00)" in out
    code, out = run_cli(ws, "search", query)
    assert code == 0 and "your verdicts on this query: 1 marked right, 0 marked wrong" in out
    assert "`reelrag verdict forget 'a cup of joe'` undoes them" in " ".join(out.split())
    code, out = run_cli(ws, "verdict", "list", "--json")
    listed = json.loads(out)
    assert [(r["query"], r["asset_id"], r["verdict"]) for r in listed] == [(query, top, "right")]
    code, out = run_cli(ws, "verdict", "forget", "A cup of joe")
    assert code == 0 and "forgot 1 verdict(s)" in out
    code, out = run_cli(ws, "verdict", "list")
    assert "no verdicts yet" in out
    code, out = run_cli(ws, "verdict", "wrong", query, "ffffffff")
    assert code == 1 and "no asset with id 'ffffffff'" in out
    photo = library.get(top).source  # the photo's own path names it too
    code, out = run_cli(ws, "verdict", "wrong", query, photo)
    assert code == 0 and f"marked {top[:12]} (" in out and "'a cup of joe' now finds: " in out
    assert library.verdicts.for_query(query) == {top: "wrong"}
    code, out = run_cli(ws, "verdict", "wrong", query, str(ws / "catalog.sqlite"))
    assert code == 1 and "is not a photo of this library" in out
    code, out = run_cli(ws, "verdict", "forget", query, photo)
    assert code == 0 and "forgot 1 verdict(s)" in out


def test_a_right_verdict_the_search_cannot_reach_says_so(tmp_path: Path) -> None:
    things = (
        "hammer",
        "kettle",
        "lamp",
        "guitar",
        "shoe",
        "vase",
        "clock",
        "candle",
        "book",
        "phone",
        "chair",
        "bucket",
        "rope",
        "ladder",
    )  # more than the candidates weighed
    captions = {f"misc/{thing}.png": f"A {thing} on a plain table." for thing in things}
    captions["docs/tax.png"] = "Quarterly tax spreadsheet printout."
    library = captioned_library(tmp_path, captions)
    tax = _top(library, "quarterly tax spreadsheet")
    code, out = run_cli(library.settings.workspace, "verdict", "right", "a guitar", tax)
    assert tax not in {hit.asset.id for hit in library.search("a guitar", min_score=0.0)}
    assert code == 0 and "note: the search does not reach this photo" in " ".join(out.split())
