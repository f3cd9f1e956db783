"""Ingest throughput for ~12 MP JPEGs, the unchanged re-ingest path, and a naive baseline.

Run: ``.venv/bin/python benchmarks/bench_ingest.py [--n 200] [--unchanged 10000]``

1. N distinct ~12 MP JPEGs (4000x3000, upscaled from the photos that ship in scikit-image and
   matplotlib; a comment segment makes each file's bytes unique) with a sidecar caption each;
2. a fresh ingest (decode, normalise, thumbnail, caption, embed, index) -> images/s;
3. re-ingest unchanged -> seconds;
4. 10,000 unchanged small files: the catalog is seeded with their current size/mtime (as a
   previous ingest would have left it), then re-ingest is timed -- only the unchanged path;
   then the same with a sidecar ``.txt`` per file and a ``metadata.jsonl`` row per file (the
   caption-edit check lists each folder once, stats each sidecar and digests each row);
5. the naive baseline on the same files: full decode + full-size re-encode, one thread.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

from PIL import Image

from reelrag.library import open_library
from reelrag.library.captionsig import CaptionSignatures
from reelrag.library.catalog import SourceRow
from reelrag.library.sources import FileSource, SourceFile

SIZE = (4000, 3000)


def base_photos() -> list[tuple[str, bytes]]:
    """(caption, 12 MP JPEG bytes) for each bundled photo."""
    import matplotlib.cbook
    from skimage import data

    arrays = {
        "an astronaut": data.astronaut(), "a ginger cat": data.chelsea(),
        "a cup of coffee": data.coffee(), "a rocket on its launch pad": data.rocket(),
    }  # fmt: skip
    images = {k: Image.fromarray(v).convert("RGB") for k, v in arrays.items()}
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        images["portrait of Grace Hopper"] = Image.open(handle).convert("RGB")
    out = []
    for caption, image in images.items():
        buffer = io.BytesIO()
        image.resize(SIZE, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
        out.append((caption, buffer.getvalue()))
    return out


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment, so every copy has its own hash."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def write_images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True)
    bases = base_photos()
    paths = []
    for i in range(n):
        caption, jpeg = bases[i % len(bases)]
        path = folder / f"photo_{i:05d}.jpg"
        path.write_bytes(with_comment(jpeg, f"bench copy {i}"))
        path.with_suffix(".txt").write_text(f"{caption}, copy {i}")
        paths.append(path)
    return paths


def naive(paths: list[Path]) -> tuple[float, float]:
    """Images per second and per CPU-second: full decode + full-size re-encode, one thread."""
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
            rgb.save(io.BytesIO(), "JPEG", quality=90)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(paths) / elapsed, len(paths) / cpu


def unchanged_small(root: Path, count: int, captions: bool = False) -> tuple[float, int]:
    folder = root / ("small-captioned" if captions else "small")
    folder.mkdir()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 90, 90)).save(buffer, "JPEG")
    lines = []
    for i in range(count):
        (folder / f"s{i:05d}.jpg").write_bytes(with_comment(buffer.getvalue(), str(i)))
        if captions:
            (folder / f"s{i:05d}.txt").write_text(f"a grey square, number {i}")
            lines.append(f'{{"file_name": "s{i:05d}.jpg", "text": "grey square {i}"}}')
    if captions:
        (folder / "metadata.jsonl").write_text("\n".join(lines))
    lib = open_library(root / f"ws-{folder.name}")
    sigs = CaptionSignatures(enabled=True)  # what a previous ingest would have recorded
    rows = []
    for entry in FileSource().scan(str(folder)):
        assert isinstance(entry, SourceFile)
        rows.append(SourceRow(entry.uri, entry.size, entry.mtime_ns, "x", sigs.of(entry)))
    lib.catalog.commit_batch([], rows)
    started = time.perf_counter()
    report = lib.ingest(folder)
    return time.perf_counter() - started, report.unchanged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="12 MP JPEGs to ingest")
    parser.add_argument("--unchanged", type=int, default=10_000, help="small unchanged files")
    parser.add_argument("--naive", type=int, default=20, help="images for the naive baseline")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="reelrag-bench-"))
    try:
        run(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root: Path, args: argparse.Namespace) -> None:
    print(f"cpu cores: {os.cpu_count()}")
    started = time.perf_counter()
    paths = write_images(root / "photos", args.n)
    print(f"wrote {args.n} JPEGs of {SIZE[0]}x{SIZE[1]} in {time.perf_counter() - started:.1f} s")
    lib = open_library(root / "ws")
    lib.embedder.embed_texts(["warm up"])  # model and index imports are not ingest work
    _ = lib.index
    started, cpu = time.perf_counter(), time.process_time()
    report = lib.ingest(root / "photos")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.added == args.n and not report.failed, report.to_dict()
    rate = args.n / elapsed
    print(
        f"ingest fresh: {args.n} images in {elapsed:.2f} s = {rate:.1f} images/s "
        f"(target >= 100); CPU {cpu:.2f} s = {args.n / cpu:.1f} images per CPU-second"
    )
    started = time.perf_counter()
    again = lib.ingest(root / "photos")
    print(f"re-ingest unchanged: {again.unchanged} files in {time.perf_counter() - started:.3f} s")
    seconds, unchanged = unchanged_small(root, args.unchanged)
    print(f"re-ingest {unchanged} unchanged small files: {seconds:.2f} s (target <= 5 s)")
    seconds, unchanged = unchanged_small(root, args.unchanged, captions=True)
    print(
        f"re-ingest {unchanged} unchanged small files with sidecars + metadata.jsonl: "
        f"{seconds:.2f} s (target <= 5 s)"
    )
    baseline, baseline_cpu = naive(paths[: args.naive])
    print(
        f"naive baseline (full decode + full-size re-encode, 1 thread): {baseline:.1f} images/s, "
        f"{baseline_cpu:.1f} images per CPU-second"
    )
    print(
        f"ratio reelrag / naive: {rate / baseline:.1f}x wall, "
        f"{(args.n / cpu) / baseline_cpu:.1f}x per CPU-second"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.2f} (other work shares the cores)")


if __name__ == "__main__":
    main()
