"""Retrieval end to end: real MiniLM, real LanceDB, thresholds, diversity, filters and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelrag.cli.common import display_path
from reelrag.cli.main import app
from reelrag.embeddings.minilm import MiniLMEmbedder
from reelrag.errors import InputError
from reelrag.index.filters import parse_filters
from reelrag.index.lance.index import LanceIndex
from reelrag.retrieval import SearchResults, mmr, search
from reelrag.settings import Settings, load_settings
from reelrag.types import SearchFilters, SearchHit, SearchRequest
from retrieval_library import make_records


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder) -> Settings:
    """A workspace whose index holds the realistic caption library."""
    workspace = tmp_path_factory.mktemp("ws")
    settings = load_settings({"workspace": workspace}, environ={})
    LanceIndex.from_settings(settings, embedder.identity).upsert(make_records(embedder))
    return settings


@pytest.fixture
def index(library: Settings, embedder: MiniLMEmbedder) -> LanceIndex:
    return LanceIndex.from_settings(library, embedder.identity)


def stems(results: SearchResults) -> list[str]:
    return [Path(h.asset.source).stem for h in results]


def test_finds_the_cat_and_says_no_match_for_red_shoes(
    index: LanceIndex, embedder: MiniLMEmbedder, library: Settings
) -> None:
    cat = search(index, embedder, SearchRequest("cat", limit=3), library)
    assert not cat.no_match and cat.best is not None and stems(cat)[0] == "cat"
    assert all(h.score >= library.min_score for h in cat)
    shoes = search(index, embedder, SearchRequest("red shoes"), library)
    assert shoes.no_match and shoes.best is None and len(shoes) == 0
    assert shoes.nearest is not None and shoes.nearest.score < library.min_score
    data = json.loads(json.dumps(shoes.to_dict()))
    assert data["hits"] == [] and data["no_match"] is True and data["query"] == "red shoes"


def test_min_score_override_and_ranks(
    index: LanceIndex, embedder: MiniLMEmbedder, library: Settings
) -> None:
    loose = search(index, embedder, SearchRequest("red shoes", limit=4, min_score=0.0), library)
    assert len(loose) == 4 and [h.rank for h in loose] == [1, 2, 3, 4]
    assert loose[0] is loose.best and list(loose[1:3]) == loose.hits[1:3]


def test_filters_apply(index: LanceIndex, embedder: MiniLMEmbedder, library: Settings) -> None:
    request = SearchRequest(
        "a photo", limit=50, min_score=0.0, filters=SearchFilters(folder="space")
    )
    results = search(index, embedder, request, library)
    assert results and {h.asset.folder for h in results} == {"space"}


def test_text_mode_keyword_search(
    index: LanceIndex, embedder: MiniLMEmbedder, library: Settings
) -> None:
    results = search(index, embedder, SearchRequest("SKU-4417", mode="text"), library)
    assert stems(results) == ["mug-4417"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SearchRequest("   "), "empty"),
        (SearchRequest("cat", limit=0), "limit"),
        (SearchRequest("cat", mode="semantic"), "mode"),
        (SearchRequest("cat", diversity=1.5), "diversity"),
        (SearchRequest("cat", min_score=2.0), "min_score"),
        (SearchRequest("cat", filters=SearchFilters(orientation="round")), "orientation"),
    ],
)
def test_bad_requests_are_refused(
    index: LanceIndex,
    embedder: MiniLMEmbedder,
    library: Settings,
    request_: SearchRequest,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        search(index, embedder, request_, library)


def test_diversity_spreads_near_duplicates(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    items = [(f"sofa{i}", "A ginger cat sleeping on a sofa.", "cats") for i in range(3)]
    items.append(("garden", "A black cat hunting in the garden at night.", "cats"))
    idx = LanceIndex(str(tmp_path / "idx"), embedder.identity)
    idx.upsert(make_records(embedder, items))
    settings = Settings(workspace=tmp_path)
    plain = search(idx, embedder, SearchRequest("cat", limit=2), settings)
    varied = search(idx, embedder, SearchRequest("cat", limit=2, diversity=0.7), settings)
    assert all(s.startswith("sofa") for s in stems(plain))
    assert stems(varied)[0].startswith("sofa") and stems(varied)[1] == "garden"
    assert [h.rank for h in varied] == [1, 2]


def test_mmr_without_diversity_keeps_score_order(embedder: MiniLMEmbedder) -> None:
    from retrieval_library import make_asset

    hits = [
        SearchHit(make_asset(i, f"a{i}", "x", "f"), score=s) for i, s in enumerate((0.9, 0.8, 0.7))
    ]
    vectors = dict(
        zip((h.asset.id for h in hits), embedder.embed_texts(["a", "a", "b"]), strict=True)
    )
    assert mmr(hits, vectors, 0.0) == hits
    assert mmr(hits, {}, 0.9) == hits  # no vectors: nothing counts as similar


def test_results_render_html(
    index: LanceIndex, embedder: MiniLMEmbedder, library: Settings
) -> None:
    results = search(index, embedder, SearchRequest("cat", limit=2), library)
    markup = results._repr_html_()
    assert "ginger tabby cat" in markup and f"{results[0].score:.2f}" in markup
    assert (
        "No good match"
        in search(index, embedder, SearchRequest("red shoes"), library)._repr_html_()
    )


def test_parse_filters() -> None:
    parsed = parse_filters(["orientation=portrait", "min-width=640", "folder=people/", "tag=Beach"])
    assert parsed == SearchFilters(
        orientation="portrait", min_width=640, folder="people/", tag="Beach"
    )
    for bad, message in [
        (["colour=red"], "valid filters: orientation"),
        (["min_width=wide"], "whole number"),
        (["orientation=upside"], "landscape, portrait, square"),
        (["tag=a", "tag=b"], "twice"),
        (["folder"], "unknown filter"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_filters(bad)


# -- CLI ---------------------------------------------------------------------------------------

runner = CliRunner()


def cli(library: Settings, *args: str) -> object:
    return runner.invoke(app, ["-w", str(library.workspace), *args])


def test_cli_search_json_and_table(library: Settings) -> None:
    result = cli(library, "search", "cat", "--limit", "2", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads(result.output)  # type: ignore[attr-defined]
    assert data["hits"][0]["asset"]["caption"].startswith("A ginger tabby cat")
    table = cli(library, "search", "cat", "-f", "orientation=portrait")
    assert table.exit_code == 0 and "600x900" in table.output  # type: ignore[attr-defined]


def test_cli_table_shows_the_whole_source_path(
    library: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = cli(library, "search", "cat", "--limit", "1")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    # the source column (5th) of the first hit, folded over as many lines as it needs
    output: str = result.output  # type: ignore[attr-defined]
    cells = [line.split("│")[5].strip() for line in output.splitlines() if "│" in line]
    assert "".join(cells) == "/photos/animals/cat.jpg"
    monkeypatch.chdir(tmp_path)  # inside the working folder: as the user would type it
    assert display_path(str(tmp_path / "trips" / "a b.jpg")) == str(Path("trips") / "a b.jpg")
    assert display_path("s3://bucket/x.jpg") == "s3://bucket/x.jpg"


def test_cli_no_match_exits_3(library: Settings) -> None:
    result = cli(library, "search", "red shoes", "--json")
    assert result.exit_code == 3  # type: ignore[attr-defined]
    data = json.loads(result.output)  # type: ignore[attr-defined]
    assert data["no_match"] is True and data["hits"] == []
    plain = cli(library, "search", "red shoes")
    assert plain.exit_code == 3 and "no good match" in plain.output  # type: ignore[attr-defined]


def test_cli_bad_filter_is_an_input_error(library: Settings) -> None:
    result = cli(library, "search", "cat", "--filter", "colour=red")
    assert isinstance(result.exception, InputError)  # type: ignore[attr-defined]
    assert "min_width" in str(result.exception)  # type: ignore[attr-defined]


def test_cli_contact_sheet(library: Settings, tmp_path: Path) -> None:
    out = tmp_path / "sheet.html"
    result = cli(library, "search", "cat", "--contact-sheet", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "ginger tabby cat" in out.read_text(encoding="utf-8")


def test_cli_index_info_and_optimize(library: Settings) -> None:
    result = cli(library, "index", "info", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    info = json.loads(result.output)  # type: ignore[attr-defined]
    assert info["rows"] > 20 and info["dim"] == 384 and info["index_type"] == "exact"
    assert info["embedder"] == "minilm:sentence-transformers/all-MiniLM-L6-v2:384"
    optimized = cli(library, "index", "optimize")
    assert optimized.exit_code == 0 and "text index yes" in optimized.output  # type: ignore[attr-defined]


class _RenamedMiniLM(MiniLMEmbedder):
    """The real MiniLM under another identity: stands for "the embedder used before"."""

    def __init__(self) -> None:
        super().__init__()
        from reelrag.embeddings.base import EmbedderIdentity

        self.identity = EmbedderIdentity("old-minilm", "old/model", 384)


def test_rebuild_after_an_embedder_change(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    from reelrag.errors import IndexMismatchError

    settings = load_settings({"workspace": tmp_path / "ws"}, environ={})
    old = _RenamedMiniLM()
    LanceIndex.from_settings(settings, old.identity).upsert(make_records(old))
    with pytest.raises(IndexMismatchError, match="old-minilm"):
        LanceIndex.from_settings(settings, embedder.identity)
    result = cli(settings, "index", "rebuild", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    info = json.loads(result.output)  # type: ignore[attr-defined]
    assert info["embedder"] == embedder.identity.key() and info["rows"] > 20
    index = LanceIndex.from_settings(settings, embedder.identity)
    assert stems(search(index, embedder, SearchRequest("cat"), settings))[0] == "cat"


def test_a_search_reads_one_version_while_another_handle_rewrites_the_table(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    """Row ids from the candidate queries are fetched from the same version, and the next search
    sees the other handle's writes and compaction."""
    settings = load_settings({"workspace": tmp_path / "ws"}, environ={})
    records = make_records(embedder)
    reader = LanceIndex.from_settings(settings, embedder.identity)
    writer = LanceIndex.from_settings(settings, embedder.identity)
    writer.upsert(records[:10])
    before = search(reader, embedder, SearchRequest("a ginger cat"), settings)
    writer.upsert(records[10:])
    writer.delete([records[0].asset.id])
    writer.optimize()  # compaction renumbers the rows
    after = search(reader, embedder, SearchRequest("mug SKU-4471"), settings)
    by_id = {r.asset.id: r.asset for r in records}
    assert before.hits and after.hits  # the reader opened before the table existed
    assert all(h.asset == by_id[h.asset.id] for h in [*before.hits, *after.hits])
    assert stems(after)[0] == "mug-4471"
    assert records[0].asset.id not in {h.asset.id for h in after.hits}
