"""MiniLM speed: ReelRAG's numpy encoder vs the sentence-transformers (torch) reference.

Run: .venv/bin/python benchmarks/bench_embedder.py [--torch-python /tmp/refvenv/bin/python]

The torch side runs in its own interpreter (a throw-away venv with torch==2.13.0 and
sentence-transformers; torch never enters the project venv) on the same texts, same machine,
same run. Prints queries/s for one short query, sentences/s at batch 64, agreement (min cosine)
and installed sizes of both stacks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORDS = [
    "a",
    "red",
    "shoe",
    "on",
    "the",
    "wooden",
    "floor",
    "near",
    "window",
    "light",
    "cat",
    "dog",
    "beach",
    "sunset",
    "mountain",
    "city",
    "street",
    "night",
    "coffee",
    "cup",
    "table",
    "astronaut",
    "rocket",
    "launch",
    "pad",
    "grass",
    "field",
    "flowers",
    "child",
    "park",
]


def texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(6, 24)))) for _ in range(n)]


QUERIES = [f"red shoes number {i}" for i in range(200)]  # unique: no query cache hits
BATCH = texts(512)

TORCH_SCRIPT = r"""
import json, sys, time
from sentence_transformers import SentenceTransformer
model_dir, payload = sys.argv[1], json.loads(sys.stdin.read())
m = SentenceTransformer(model_dir, device="cpu")
m.encode(payload["queries"][:5])
t = time.perf_counter()
for q in payload["queries"]:
    m.encode([q])
q_s = len(payload["queries"]) / (time.perf_counter() - t)
t = time.perf_counter()
vecs = m.encode(payload["batch"], batch_size=64)
s_s = len(payload["batch"]) / (time.perf_counter() - t)
print(json.dumps({"queries_per_s": q_s, "sentences_per_s": s_s, "vectors": vecs[:32].tolist()}))
"""


def numpy_side() -> dict[str, object]:
    from reelrag.embeddings.minilm import MiniLMEmbedder

    emb = MiniLMEmbedder()
    emb.encoder.encode(QUERIES[:5])
    t = time.perf_counter()
    for q in QUERIES:
        emb.embed_texts([q])
    q_s = len(QUERIES) / (time.perf_counter() - t)
    t = time.perf_counter()
    vecs = emb.embed_texts(BATCH)  # batches of <= 64 sorted by length
    s_s = len(BATCH) / (time.perf_counter() - t)
    return {"queries_per_s": q_s, "sentences_per_s": s_s, "vectors": vecs[:32]}


def torch_side(python: str, model_dir: Path) -> dict[str, object] | None:
    if not Path(python).exists():
        print(f"(no torch reference: {python} not found)")
        return None
    payload = json.dumps({"queries": QUERIES, "batch": BATCH})
    done = subprocess.run(
        [python, "-c", TORCH_SCRIPT, str(model_dir)], input=payload, capture_output=True,
        text=True, check=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def du_mb(paths: list[Path]) -> float:
    return (
        sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())
        / 1e6
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-python", default="/tmp/refvenv/bin/python")
    args = parser.parse_args()
    from reelrag.embeddings.minilm import bundled_model_path

    ours = numpy_side()
    ref = torch_side(args.torch_python, bundled_model_path())
    print(f"{'':28s} {'queries/s':>10s} {'sentences/s @64':>16s}")
    print(f"{'numpy (reelrag)':28s} {ours['queries_per_s']:10.1f} {ours['sentences_per_s']:16.1f}")
    if ref is not None:
        print(
            f"{'torch (sentence-transformers)':28s} {ref['queries_per_s']:10.1f} "
            f"{ref['sentences_per_s']:16.1f}"
        )
        print(f"ratio numpy/torch: queries {ours['queries_per_s'] / ref['queries_per_s']:.2f}x, "
              f"batch {ours['sentences_per_s'] / ref['sentences_per_s']:.2f}x")  # fmt: skip
        a, b = np.asarray(ours["vectors"]), np.asarray(ref["vectors"], dtype=np.float32)
        cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        print(f"agreement on 32 batch texts: min cosine {cos.min():.6f}")
        site = Path(args.torch_python).parent.parent / "lib"
        torch_dirs = [d for d in site.rglob("site-packages")][:1]
        if torch_dirs:
            print(f"installed size: torch reference venv site-packages {du_mb(torch_dirs):.0f} MB")
    here = Path(sys.prefix) / "lib"
    site = next(here.rglob("site-packages"))
    ours_pkgs = [site / n for n in ("numpy", "numpy.libs", "tokenizers", "safetensors")]
    print(f"installed size: numpy + tokenizers + safetensors {du_mb(ours_pkgs):.0f} MB")


if __name__ == "__main__":
    main()
