"""MiniLM speed: ReelRAG's numpy and onnxruntime encoders vs the sentence-transformers (torch) one.

Run: .venv/bin/python benchmarks/bench_embedder.py [--runs 3] [--torch-python PYTHON]
(PYTHON defaults to /tmp/refvenv/bin/python)

The torch side runs in its own interpreter (a throw-away venv with torch==2.13.0 and
sentence-transformers; torch never enters the project venv) on the same texts, same machine,
same run. Prints queries/s for one short query and sentences/s at batch 64 (medians of --runs
runs), the ratios, agreement (min cosine) and installed sizes of the stacks.
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
q_s, s_s = [], []
for _ in range(payload["runs"]):
    t = time.perf_counter()
    for q in payload["queries"]:
        m.encode([q])
    q_s.append(len(payload["queries"]) / (time.perf_counter() - t))
    t = time.perf_counter()
    vecs = m.encode(payload["batch"], batch_size=64)
    s_s.append(len(payload["batch"]) / (time.perf_counter() - t))
print(json.dumps({"queries_per_s": q_s, "sentences_per_s": s_s, "vectors": vecs[:32].tolist()}))
"""


def ours_side(runtime: str, runs: int) -> dict[str, object]:
    """Per-run figures for one runtime; the query cache is bypassed (encoder called directly)."""
    from reelrag.embeddings.minilm import MiniLMEmbedder

    emb = MiniLMEmbedder(runtime=runtime)
    emb.encoder.encode(QUERIES[:5])
    q_s, s_s = [], []
    for _ in range(runs):
        t = time.perf_counter()
        for q in QUERIES:
            emb.encoder.encode([q])
        q_s.append(len(QUERIES) / (time.perf_counter() - t))
        t = time.perf_counter()
        vecs = emb.embed_texts(BATCH)  # batches of <= 64 sorted by length
        s_s.append(len(BATCH) / (time.perf_counter() - t))
    return {"queries_per_s": q_s, "sentences_per_s": s_s, "vectors": vecs[:32]}


def median(values: object) -> float:
    return float(np.median(np.asarray(values)))


def torch_side(python: str, model_dir: Path, runs: int) -> dict[str, object] | None:
    if not Path(python).exists():
        print(f"(no torch reference: {python} not found)")
        return None
    payload = json.dumps({"queries": QUERIES, "batch": BATCH, "runs": runs})
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


def min_cosine(a: object, b: object) -> float:
    x, y = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return float(((x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)).min())


def print_table(sides: dict[str, dict[str, object]]) -> None:
    print(f"{'':30s} {'queries/s':>10s} {'sentences/s @64':>16s}   (medians)")
    for name, side in sides.items():
        q, b = median(side["queries_per_s"]), median(side["sentences_per_s"])
        print(f"{name:30s} {q:10.1f} {b:16.1f}")
    base = sides["numpy (reelrag)"]
    for name, side in sides.items():
        if name.startswith("numpy"):
            continue
        q = median(side["queries_per_s"]) / median(base["queries_per_s"])
        b = median(side["sentences_per_s"]) / median(base["sentences_per_s"])
        cos = min_cosine(base["vectors"], side["vectors"])
        print(f"{name} / numpy: queries {q:.2f}x, batch {b:.2f}x; min cosine vs numpy {cos:.7f}")
    if "onnx (reelrag)" in sides and "torch (sentence-transformers)" in sides:
        onnx, torch = sides["onnx (reelrag)"], sides["torch (sentence-transformers)"]
        q = median(onnx["queries_per_s"]) / median(torch["queries_per_s"])
        b = median(onnx["sentences_per_s"]) / median(torch["sentences_per_s"])
        print(f"onnx / torch: queries {q:.2f}x, batch {b:.2f}x")


def print_sizes(torch_python: str) -> None:
    site = Path(torch_python).parent.parent / "lib"
    torch_dirs = [d for d in site.rglob("site-packages")][:1]
    if torch_dirs:
        print(f"installed size: torch reference venv site-packages {du_mb(torch_dirs):.0f} MB")
    here = next((Path(sys.prefix) / "lib").rglob("site-packages"))
    ours = [here / n for n in ("numpy", "numpy.libs", "tokenizers", "safetensors")]
    extra = [here / n for n in ("onnxruntime", "onnx", "ml_dtypes", "flatbuffers")]
    print(f"installed size: numpy + tokenizers + safetensors {du_mb(ours):.0f} MB")
    print(f"installed size: + onnxruntime + onnx + ml_dtypes + flatbuffers {du_mb(extra):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-python", default="/tmp/refvenv/bin/python")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from reelrag.embeddings.minilm import bundled_model_path
    from reelrag.embeddings.minilm.onnx_runtime import onnxruntime_available

    sides = {"numpy (reelrag)": ours_side("numpy", args.runs)}
    if onnxruntime_available():
        sides["onnx (reelrag)"] = ours_side("onnx", args.runs)
    ref = torch_side(args.torch_python, bundled_model_path(), args.runs)
    if ref is not None:
        sides["torch (sentence-transformers)"] = ref
    print_table(sides)
    print_sizes(args.torch_python)


if __name__ == "__main__":
    main()
