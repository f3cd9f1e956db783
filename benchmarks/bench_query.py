"""Query latency and ANN recall at 100k assets: ReelRAG hybrid search vs the seed design.

Run: .venv/bin/python benchmarks/bench_query.py [--rows 100000] [--queries 200]

Data: clustered unit vectors (384-d, 200 clusters) and synthetic captions drawn from a vocabulary
(each cluster has its own topic words, plus shared filler words and a unique product code).
Measured in one run on the same machine:
- ReelRAG hybrid top-5 (vector ANN top-K + BM25 top-K, RRF, absolute scores), INCLUDING the
  MiniLM embedding of the query text (every query text is new, so the query cache never hits);
- the same with vector mode only;
- recall@5 of the ANN path (IVF_FLAT, nprobes from settings) against exact search;
- the seed design's baseline: one image per query by exact k-NN over vectors (numpy matmul +
  argmax top-1, no text), also including the query embedding.
Targets: hybrid p50 <= 20 ms, p99 <= 50 ms, recall@5 >= 0.95.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from reelrag.embeddings.minilm import MiniLMEmbedder
from reelrag.index.base import IndexQuery, IndexRecord
from reelrag.index.lance.index import LanceIndex
from reelrag.retrieval import search
from reelrag.settings import load_settings
from reelrag.types import Asset, SearchRequest

DIM = 384
CLUSTERS = 200
FILLER = [
    "photo",
    "of",
    "a",
    "with",
    "the",
    "in",
    "on",
    "at",
    "near",
    "under",
    "bright",
    "dark",
    "old",
    "new",
    "small",
    "large",
]


def make_vocab(rng: np.random.Generator) -> list[list[str]]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "da", "fe"]

    def word() -> str:
        return "".join(rng.choice(syllables, size=3))

    return [[word() for _ in range(12)] for _ in range(CLUSTERS)]


def make_data(
    rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    centres = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, CLUSTERS, size=rows)
    vectors = centres[labels] + 0.6 * rng.normal(size=(rows, DIM)).astype(np.float32) / np.sqrt(DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocab = make_vocab(rng)
    captions = [
        " ".join([*rng.choice(vocab[c], size=4), *rng.choice(FILLER, size=4), f"sku{i}"])
        for i, c in enumerate(labels)
    ]
    return vectors.astype(np.float32), centres, captions, labels.tolist()


def build(uri: str, vectors: np.ndarray, captions: list[str], identity: object) -> LanceIndex:
    settings = load_settings()  # REELRAG_ANN_NPROBES etc. apply, as for users
    index = LanceIndex(
        uri, identity, ann_min_rows=50_000, rrf_k=settings.rrf_k,  # type: ignore[arg-type]
        text_weight=settings.hybrid_text_weight, nprobes=settings.ann_nprobes,
    )  # fmt: skip
    batch = 20_000
    for start in range(0, len(captions), batch):
        records = [
            IndexRecord(
                Asset(id=f"a{i:07d}", source=f"/lib/{i}.jpg", width=1280, height=720,
                      format="jpeg", caption=captions[i], folder=f"f{i % 10}"),
                vectors[i], captions[i],
            )
            for i in range(start, min(start + batch, len(captions)))
        ]  # fmt: skip
        index.upsert(records)
    return index


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    settings = load_settings()
    embedder = MiniLMEmbedder.from_settings(settings)
    t0 = time.perf_counter()
    vectors, centres, captions, _labels = make_data(args.rows, rng)
    print(f"data: {args.rows} rows in {time.perf_counter() - t0:.1f} s")
    folder = Path(tempfile.mkdtemp(prefix="bench-query-"))
    try:
        run(args, rng, settings, embedder, vectors, centres, captions, str(folder / "index"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args, rng, settings, embedder, vectors, centres, captions, uri) -> None:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    index = build(uri, vectors, captions, embedder.identity)
    print(f"insert: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    index.optimize()
    info = index.info()
    print(f"optimize (FTS + {info.ann_index}): {time.perf_counter() - t0:.1f} s")

    queries = []
    for q in range(args.queries):
        c = int(rng.integers(0, CLUSTERS))
        qv = centres[c] + 0.6 * rng.normal(size=DIM).astype(np.float32) / np.sqrt(DIM)
        words = captions[int(rng.integers(0, len(captions)))].split()[:2]
        queries.append(
            (f"{' '.join(words)} query {q}", (qv / np.linalg.norm(qv)).astype(np.float32))
        )

    for text, qv in queries[:5]:  # warm caches
        index.search(IndexQuery(text, qv, limit=5))

    def timed(mode: str) -> list[float]:
        out = []
        for text, qv in queries:
            t = time.perf_counter()
            embedder.embed_texts([text])  # the real query embedding cost (unique text: no cache)
            index.search(IndexQuery(text, qv, limit=5, mode=mode))
            out.append(time.perf_counter() - t)
        return out

    hybrid = timed("hybrid")
    vector_only = timed("vector")

    def decided(tag: str, every_word: bool) -> list[float]:  # embedding, index and decision
        chosen = replace(settings, match_every_word=every_word)
        out = []
        for text, _ in queries:
            t = time.perf_counter()
            search(index, embedder, SearchRequest(query=f"{text} {tag}", limit=5), chosen)
            out.append(time.perf_counter() - t)
        return out

    full = decided("decide", every_word=False)
    words = decided("words", every_word=True)

    # Seed baseline: exact k-NN top-1 over vectors only, numpy, with the query embedding.
    base = []
    for text, qv in queries:
        t = time.perf_counter()
        embedder.embed_texts([text + " seed"])
        int(np.argmax(vectors @ qv))
        base.append(time.perf_counter() - t)
    embed_only = []
    for text, _ in queries:
        t = time.perf_counter()
        embedder.embed_texts([text + " embed"])
        embed_only.append(time.perf_counter() - t)

    hits = 0
    for text, qv in queries:
        exact = set(np.argpartition(-(vectors @ qv), 5)[:5].tolist())
        got = index.search(IndexQuery(text, qv, limit=5, mode="vector"))
        hits += len(exact & {int(h.asset.id[1:]) for h in got})
    recall = hits / (5 * len(queries))

    print(
        f"\n{args.rows} rows, {len(queries)} queries, "
        f"index {info.ann_index}, nprobes {index.nprobes}"
    )
    print(f"{'path':44s} {'p50 ms':>8s} {'p99 ms':>8s}")
    rows = [
        (f"query embedding alone (MiniLM {embedder.runtime})", embed_only),
        ("ReelRAG hybrid top-5 (incl. embedding)", hybrid),
        ("ReelRAG vector top-5 (incl. embedding)", vector_only),
        ("retrieval.search top-5 (incl. match decision)", full),
        ("... with match_every_word", words),
        ("seed baseline: numpy exact top-1 (incl. emb.)", base),
    ]
    for name, samples in rows:
        print(f"{name:44s} {pct(samples, 50):8.2f} {pct(samples, 99):8.2f}")
    print(f"\nrecall@5 ANN vs exact: {recall:.3f} (target >= 0.95)")
    print(
        f"hybrid p50 {pct(hybrid, 50):.1f} ms (target <= 20), "
        f"p99 {pct(hybrid, 99):.1f} ms (target <= 50)"
    )
    print(f"ratio hybrid / seed baseline p50: {pct(hybrid, 50) / pct(base, 50):.2f}x")
    print(f"ratio vector / seed baseline p50: {pct(vector_only, 50) / pct(base, 50):.2f}x")


if __name__ == "__main__":
    main()
