"""``reelrag eval`` / ``calibrate`` and their Python API, on real photos and query files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

pytest.importorskip("skimage", reason="the development set's photos ship in scikit-image")

from reelrag.cli.main import app
from reelrag.errors import InputError, NotFoundError
from reelrag.evaluation import calibrate_file
from reelrag.evaluation.labels import LabelledQuery, load_queries, unmatched
from reelrag.library import open_library
from reelrag.samples import write_samples

runner = CliRunner()
QUERIES_CSV = """query,expected
a ginger cat,animals/cat.jpg
rocket on the launch pad,rocket.jpg
cup of coffee,none-such-id-but-a-file.jpg
red shoes,none
a car,
"""
QUERIES_YAML = """
- query: a ginger cat
  expected: animals/cat.jpg
- query: red shoes
  expected: none
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evalws")
    write_samples(root / "photos")
    open_library(root / "ws").ingest([str(root / "photos")], recursive=True)
    return root / "ws"


def test_queries_load_from_csv_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(QUERIES_CSV)
    (tmp_path / "q.yaml").write_text(QUERIES_YAML)
    csv_queries = load_queries(tmp_path / "q.csv")
    assert [q.answerable for q in csv_queries] == [True, True, True, False, False]
    assert load_queries(tmp_path / "q.yaml")[1] == LabelledQuery("red shoes", "none")
    with pytest.raises(NotFoundError):
        load_queries(tmp_path / "absent.csv")
    (tmp_path / "q.txt").write_text("x")
    with pytest.raises(InputError, match=r"not a \.csv or \.yaml"):
        load_queries(tmp_path / "q.txt")
    (tmp_path / "bad.csv").write_text("query,expected\n,x\n")
    with pytest.raises(InputError, match="no query"):
        load_queries(tmp_path / "bad.csv")


def test_eval_cli_table_json_and_plot(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(QUERIES_CSV)
    plot = tmp_path / "scores.png"
    out = runner.invoke(app, ["-w", str(workspace), "eval", str(tmp_path / "q.csv"),
                              "--json", "--plot", str(plot)])  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    figures = data["figures"]
    assert data["answerable"] == 3 and data["no_answer"] == 2
    # cat and rocket found and accepted; the third expects a file that is not there
    third = pytest.approx(2 / 3, abs=1e-3)  # JSON figures are rounded to 4 places
    assert figures["recall@1"] == third and figures["no-answer refusal"] == 1.0
    assert figures["recall@1 accepted"] == third
    assert data["counts"]["recall@1 accepted"] == [2, 3]
    assert data["counts"]["no-answer refusal"] == [2, 2]
    # 2 of 3 is a wide interval; each contains its figure
    low, high = data["intervals"]["recall@1 accepted"]
    assert low < 2 / 3 < high and high - low > 0.5
    assert len(data["hit_scores"]) == 2 and len(data["queries"]) == 5
    assert data["rule"] == "built-in learned rule, verifier minilm minilm-snli"  # the default
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.size == (720, 360)
    table = runner.invoke(app, ["-w", str(workspace), "eval", str(tmp_path / "q.csv")])
    assert table.exit_code == 0 and "recall@1 accepted" in table.stdout
    assert "95 % interval" in table.stdout and "2/3" in table.stdout
    assert "match rule" in table.stdout and "built-in learned rule" in table.stdout
    assert f"{low:.2f}-{high:.2f}" in table.stdout
    assert "expected none-such-id-but-a-file.jpg, got" in table.stdout
    # at a threshold no hit reaches, the right photos are refused, and said so
    strict = runner.invoke(app, ["-w", str(workspace), "eval", str(tmp_path / "q.csv"),
                                 "--min-score", "1.0"])  # fmt: skip
    assert "'a ginger cat': the right photo ranked first, refused at" in strict.stdout
    assert "< 1.00" in strict.stdout
    # the label that names no photo is said once, on stderr, and counted as a miss
    for run in (out, table):
        assert "1 expected answer(s) name no photo" in run.stderr
        assert "none-such-id-but-a-file.jpg" in run.stderr


def test_labels_that_name_no_asset_are_found(workspace: Path) -> None:
    assets = open_library(workspace).assets()
    cat = next(a for a in assets if a.source.endswith("animals/cat.jpg"))
    queries = [LabelledQuery("q1", "animals/cat.jpg"), LabelledQuery("q2", "cat.jpg"),
               LabelledQuery("q3", cat.id[:8]), LabelledQuery("q4", cat.id[:7]),
               LabelledQuery("q5", "pets/cat.jpg"), LabelledQuery("q6", "none"),
               LabelledQuery("q7", "pets/cat.jpg")]  # fmt: skip
    # an id prefix needs 8 characters; a path's end must be whole folders
    assert unmatched(queries, assets) == [cat.id[:7], "pets/cat.jpg"]


def test_calibrate_apply_keeps_the_users_settings(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "q.csv").write_text(QUERIES_CSV)
    config = tmp_path / "reelrag.toml"
    config.write_text("# my settings\nfps = 30\n\n[reelrag]\nsearch_limit = 7\n")
    monkeypatch.setenv("REELRAG_CONFIG", str(config))
    out = runner.invoke(app, ["-w", str(workspace), "calibrate", str(tmp_path / "q.csv"),
                              "--apply"])  # fmt: skip
    assert out.exit_code == 0, out.output
    written = config.read_text()
    assert written.startswith("# my settings\nfps = 30\n") and "search_limit = 7" in written
    line = next(t for t in written.splitlines() if t.startswith("min_score"))
    threshold = float(line.split("=")[1])
    assert f"proposed min_score = {threshold}" in out.stdout
    library = open_library(workspace)
    found = calibrate_file(library, tmp_path / "q.csv")
    assert found.threshold == threshold and found.report.refusal == 1.0 and found.met
    assert library.calibrate(tmp_path / "q.csv").threshold == threshold
    assert library.evaluate(tmp_path / "q.csv", min_score=threshold).precision == 1.0


def test_calibrate_with_a_refusal_floor_prints_the_tradeoff(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "q.csv").write_text(QUERIES_CSV)
    config = tmp_path / "reelrag.toml"  # absent: --apply creates it in the working folder
    monkeypatch.delenv("REELRAG_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, ["-w", str(workspace), "calibrate", str(tmp_path / "q.csv"),
                              "--objective", "refusal>=0.9", "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["objective"] == "refusal>=0.9" and data["met"] is True
    assert data["figures"]["no-answer refusal"] >= 0.9
    assert data["tradeoff"] and all("min_score" in point for point in data["tradeoff"])
    table = runner.invoke(app, ["-w", str(workspace), "calibrate", str(tmp_path / "q.csv"),
                                "--objective", "refusal>=0.9", "--apply"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "trade-off" in table.stdout and "objective refusal>=0.9" in table.stdout
    assert config.read_text().startswith("min_score = ")


def test_calibrate_apply_writes_nothing_when_the_floor_is_out_of_reach(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The library does hold a ginger cat, so its near-certain hit outscores both right answers:
    # refusing it refuses everything, and refusing everything meets no floor.
    (tmp_path / "q.csv").write_text(
        "query,expected\na ginger cat,none\ncup of coffee,food/coffee.jpg\nkitty,cat.jpg\n"
    )
    config = tmp_path / "reelrag.toml"
    monkeypatch.delenv("REELRAG_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, ["-w", str(workspace), "calibrate", str(tmp_path / "q.csv"),
                              "--objective", "refusal>=1", "--apply"])  # fmt: skip
    assert isinstance(out.exception, InputError), out.output
    assert "no min_score reaches refusal>=1" in str(out.exception)
    assert "nothing written" in str(out.exception) and not config.exists()


def test_calibrate_refuses_an_unknown_objective(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(QUERIES_CSV)
    out = runner.invoke(app, ["-w", str(workspace), "calibrate", str(tmp_path / "q.csv"),
                              "--objective", "speed"])  # fmt: skip
    assert isinstance(out.exception, InputError)


def test_wilson_intervals_widen_as_the_count_shrinks() -> None:
    from reelrag.evaluation.metrics import wilson

    small, large = wilson(9, 10), wilson(900, 1000)
    assert small[0] < large[0] < 0.9 < large[1] < small[1]
    assert wilson(0, 4)[0] == pytest.approx(0.0) and wilson(4, 4)[1] == pytest.approx(1.0)
    assert wilson(0, 4)[1] < 0.5 < wilson(4, 4)[0]
    with pytest.raises(ValueError, match="at least one"):
        wilson(0, 0)
