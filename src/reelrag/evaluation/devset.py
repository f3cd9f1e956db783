"""The retrieval development set: real photos that ship in scikit-image and matplotlib, with
captions and labelled queries written by this project (``reelrag/data/retrieval_set``).

:func:`write_devset` lays the photos out as a user's library (named folders and an iPhone camera
roll, ``.txt`` sidecar captions unless ``captions=False``); :func:`devset_queries` returns the
labelled queries of one split: ``dev`` (tuned on), ``heldout`` (held out in the first round, tuned
on since), ``test`` and ``test2`` (held out in the second and third rounds, tuned on since),
``test3`` to ``test9`` (written blind by a helper, held out in the fourth to tenth rounds,
tuned on since), ``test10`` (written blind by a helper, committed before the final rule was
measured on it, measured once, read since, never tuned on), ``test11`` (written blind by a
helper, committed unread, measured once with round 10's rule, read and tuned on since) or
``test12`` (written blind by a helper after round 11's rule was committed, measured once with
it; its result reverted part of round 11), ``test13`` (written blind by a helper after round
12's rule was committed, measured once with it, tuned on in round 13), ``test14`` (the same
after round 13, tuned on in round 14), ``test15`` (written blind by a helper after round 14's
rule was committed, measured once with it, tuned on in round 15), ``test16`` (written blind
by a helper while round 15's rule was built, committed unread, measured once with it, tuned on
in round 16), ``test17`` and ``test18`` (the same for rounds 16 and 17, tuned on in the next
round), ``test19`` (written blind by a helper while round 18's rule was built, committed
unread, measured once with it, never tuned on), ``test20`` (written blind by a helper with
no word of what the next round checks, committed unread before round 19 was measured, measured
once with it, read since), ``test21`` (the same for round 20) or ``test22`` (written the same
way while a round 21 was tried and dropped; committed unread, measured once with round 20's
rule, read in round 22), ``test23`` (the same, written while round 22 was built, measured
once with it), ``test24`` (the same, written while round 23 was built, measured once with
it), ``test25`` (the same, written while round 24 was built, measured once with it) or
``test26`` (the same, written while a round 25 was tried and dropped; measured once with round
24's rule, read in round 26), ``test27`` (the same, written while round 26 was built,
measured once with it), ``test28`` (the same, written while a round 27 was tried and dropped;
measured once with round 26's rule, never read), ``test29`` (the same, written while the
learned acceptance rule was fitted; committed unread), ``test30`` (the same, written while
that rule was refitted without its one library-dependent feature; committed unread),
``test31`` (the same, written while a stricter cut of that rule was weighed; committed unread),
``test32`` (the same, written a session after that rule shipped, while taxonomy features
were tried in cross-validation and left out; committed unread), ``test33`` (the same,
written two sessions after that rule shipped, while a cross-encoder was tried; committed
unread), ``test34`` (the same, written three sessions after that rule shipped, while an NLI
verifier was tried; committed unread) or ``test35`` (the same, written four sessions after that
rule shipped, while a pair classifier was trained on SNLI; committed unread).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reelrag.errors import InputError
from reelrag.evaluation.labels import LabelledQuery, load_queries
from reelrag.samples import load_sample

log = logging.getLogger(__name__)

SPLITS = (
    "dev",
    "heldout",
    "test",
    "test2",
    "test3",
    "test4",
    "test5",
    "test6",
    "test7",
    "test8",
    "test9",
    "test10",
    "test11",
    "test12",
    "test13",
    "test14",
    "test15",
    "test16",
    "test17",
    "test18",
    "test19",
    "test20",
    "test21",
    "test22",
    "test23",
    "test24",
    "test25",
    "test26",
    "test27",
    "test28",
    "test29",
    "test30",
    "test31",
    "test32",
    "test33",
    "test34",
    "test35",
    "all",
)
# The splits no rule was fitted or tuned on: each written by a helper and committed unread, then
# measured once per rule (benchmarks/bench_retrieval.py pools them as "blind";
# benchmarks/fit_acceptance.py holds them out).
BLIND = ("test28", "test29", "test30", "test31", "test32", "test33", "test34", "test35")


@dataclass(frozen=True)
class DevPhoto:
    path: str  # where it goes in the library, e.g. "DCIM/100APPLE/IMG_0101.jpg"
    source: str  # "skimage:<function>" or "matplotlib:<sample_data file>"
    caption: str
    crop: tuple[int, int, int, int] | None = None


def _data(name: str) -> Any:
    return resources.files("reelrag.data").joinpath("retrieval_set", name)


def devset_photos() -> list[DevPhoto]:
    rows = yaml.safe_load(_data("photos.yaml").read_text(encoding="utf-8"))
    return [
        DevPhoto(r["path"], r["from"], r["caption"], tuple(r["crop"]) if r.get("crop") else None)
        for r in rows
    ]


def devset_queries(split: str = "all") -> list[LabelledQuery]:
    """The labelled queries of ``split`` (dev | heldout | test | test2 - test35 | all)."""
    if split not in SPLITS:
        hint = f"use {', '.join(SPLITS[:-1])} or all"
        raise InputError(f"unknown split {split!r}", hint=hint)
    with resources.as_file(_data("queries.csv")) as path:
        queries = load_queries(path)
    return [q for q in queries if split == "all" or q.split == split]


def no_answer_kinds() -> dict[tuple[str, str], str]:
    """``(split, query) -> "near" | "far"`` for the no-answer queries of the splits labelled so
    (``no_answer_kinds.csv``): a near neighbour of a photo, or an everyday search for something
    the library does not hold."""
    text = _data("no_answer_kinds.csv").read_text(encoding="utf-8")
    return {(r["split"], r["query"]): r["kind"] for r in csv.DictReader(io.StringIO(text))}


def write_devset(folder: Path, *, captions: bool = True) -> list[Path]:
    """Write the photos (JPEG) under ``folder`` and, with ``captions``, their sidecars."""
    paths = []
    for photo in devset_photos():
        target = folder / photo.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            image = load_sample(photo.source)
            if photo.crop is not None:
                image = image.crop(photo.crop)
            image.save(target, quality=90)
        if captions:
            target.with_suffix(".txt").write_text(photo.caption + "\n", encoding="utf-8")
        paths.append(target)
    log.info("retrieval development set ready in %s (%d photos)", folder, len(paths))
    return paths
