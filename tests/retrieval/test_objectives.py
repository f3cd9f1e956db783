"""``reelrag calibrate``'s objectives: floors on refusal or precision, and the trade-off."""

from __future__ import annotations

import pytest

from reelrag.errors import InputError
from reelrag.evaluation import LabelledQuery, Objective, Outcome, calibrate, parse_objective
from reelrag.types import SearchHit
from retrieval_library import make_asset

RIGHT, WRONG = make_asset(0, "cat", "a ginger cat", "pets"), make_asset(1, "dog", "a dog", "pets")


def _outcome(expected: str, score: float) -> Outcome:
    """A query whose best hit scores ``score``: the right photo when ``expected`` names one."""
    query = LabelledQuery(f"q{score}", expected)
    asset = RIGHT if query.matches(RIGHT) else WRONG
    return Outcome(
        query, (SearchHit(asset=asset, score=score),), 1 if query.matches(asset) else None
    )


# Right answers at 0.5-0.9, no-answer queries at 0.3-0.8: no cut refuses every wrong one
# without losing right ones, so balanced and a refusal floor pick different thresholds.
OUTCOMES = [
    *(_outcome("pets/cat.jpg", s) for s in (0.5, 0.6, 0.7, 0.8, 0.9)),
    *(_outcome("none", s) for s in (0.3, 0.4, 0.55, 0.65, 0.8)),
]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("balanced", Objective("balanced")), (" F1 ", Objective("f1")),
     ("refusal>=0.9", Objective("refusal", 0.9)), ("refusal>=1", Objective("refusal", 1.0)),
     ("precision >= .95", Objective("precision", 0.95))],
)  # fmt: skip
def test_objectives_parse(text: str, parsed: Objective) -> None:
    assert parse_objective(text) == parsed


@pytest.mark.parametrize("text", ["speed", "refusal>=1.5", "recall>=0.9", "refusal>0.9", ""])
def test_unknown_objectives_are_refused_with_the_choices(text: str) -> None:
    with pytest.raises(InputError, match="unknown objective") as caught:
        parse_objective(text)
    assert "refusal>=0.9" in (caught.value.hint or "")


def test_a_refusal_floor_keeps_the_most_recall_that_reaches_it() -> None:
    balanced = calibrate(OUTCOMES, 5)
    assert balanced.met and balanced.report.refusal == 0.6
    assert balanced.report.recall_at_1_accepted == 0.8
    floor = calibrate(OUTCOMES, 5, "refusal>=0.8")
    assert floor.met and floor.report.refusal == 0.8
    assert floor.report.recall_at_1_accepted == 0.6  # the right 0.7, 0.8 and 0.9
    assert 0.65 < floor.threshold <= 0.7  # refuses the no-answer 0.65, keeps the right 0.7
    strict = calibrate(OUTCOMES, 5, "refusal>=1")
    assert strict.met and strict.report.recall_at_1_accepted == 0.2


def test_an_unreachable_floor_is_flagged_with_the_closest_threshold() -> None:
    found = calibrate(OUTCOMES, 5, "precision>=1")
    assert found.met  # above 0.8 only right answers are accepted
    unreachable = calibrate([*OUTCOMES[:5], _outcome("none", 0.95)], 5, "precision>=1")
    assert not unreachable.met  # the wrong 0.95 outranks every right answer
    # the closest: all five right answers for the one wrong (accepting nothing meets no floor)
    assert unreachable.report.precision == pytest.approx(5 / 6)
    assert unreachable.report.recall_at_1_accepted == 1.0 and unreachable.threshold <= 0.5


def test_the_tradeoff_lists_only_points_nothing_beats() -> None:
    points = [(r.recall_at_1_accepted, r.refusal) for r in calibrate(OUTCOMES, 5).tradeoff]
    assert points == sorted(points, reverse=True)  # stricter cuts: less recall, more refusal
    for recall, refusal in points:
        assert not any((r >= recall and f > refusal) or (r > recall and f >= refusal)
                       for r, f in points)  # fmt: skip
    assert points[0] == (1.0, 0.4) and points[-1] == (0.2, 1.0)  # 0.0 / 1.0 is beaten


def test_a_refusal_floor_needs_no_answer_queries() -> None:
    with pytest.raises(InputError, match="needs queries with no answer"):
        calibrate(OUTCOMES[:5], 5, "refusal>=0.9")
