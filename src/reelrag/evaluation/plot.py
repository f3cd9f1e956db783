"""A PNG of the best-hit scores of right answers (green) and wrong ones (red) with the
threshold marked, drawn with Pillow (no plotting library needed)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from reelrag.evaluation.metrics import EvalReport

BINS = 20
SIZE = (720, 360)
MARGIN = 40
HIT, MISS, LINE = (46, 160, 67), (214, 39, 40), (30, 30, 30)


def plot_scores(report: EvalReport, path: Path) -> Path:
    """Write the two score histograms of ``report`` (bins of 0.05 over [0, 1]) to ``path``."""
    width, height = SIZE
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    hits, misses = _counts(report.hit_scores), _counts(report.miss_scores)
    top = max([*hits, *misses, 1])
    plot_w, plot_h = width - 2 * MARGIN, height - 2 * MARGIN
    bar = plot_w / BINS
    for i, (h, m) in enumerate(zip(hits, misses, strict=True)):
        x = MARGIN + i * bar
        for count, colour, offset in ((h, HIT, 0.1), (m, MISS, 0.5)):
            if count:
                y = height - MARGIN - plot_h * count / top
                draw.rectangle([x + bar * offset, y, x + bar * (offset + 0.4), height - MARGIN],
                               fill=colour)  # fmt: skip
    draw.line([MARGIN, height - MARGIN, width - MARGIN, height - MARGIN], fill=LINE)
    for tick in range(0, 11, 2):
        x = MARGIN + plot_w * tick / 10
        draw.text((x - 8, height - MARGIN + 6), f"{tick / 10:.1f}", fill=LINE)
    cut = MARGIN + plot_w * report.threshold
    draw.line([cut, MARGIN - 10, cut, height - MARGIN], fill=LINE, width=2)
    draw.text((cut + 4, MARGIN - 12), f"threshold {report.threshold:.2f}", fill=LINE)
    draw.text((MARGIN, 8), f"right best hits ({len(report.hit_scores)})", fill=HIT)
    draw.text((MARGIN + 220, 8), f"wrong best hits ({len(report.miss_scores)})", fill=MISS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path


def _counts(scores: list[float]) -> list[int]:
    counts = [0] * BINS
    for score in scores:
        counts[min(int(score * BINS), BINS - 1)] += 1
    return counts
