"""The verifier contract: a pair classifier that reads a caption and a query together.

A bi-encoder compares a query's vector with a caption's; it cannot tell "a pile of gold coins"
from "old coins scattered on a table" when both sit close together. A pair classifier trained
on natural language inference (NLI: does the premise entail the hypothesis?) reads both texts
at once. Its logits for (caption, query) are extra features of the learned acceptance rule
(:mod:`reelrag.matching.acceptance`), fitted for the model in use by ``reelrag fit-rule``
(:mod:`reelrag.matching.fitting`): what each logit means (entailment, contradiction, a
reranker's relevance) is learned there, so any pair classifier with a fixed number of logits
will do.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reelrag.settings import Settings


@dataclass(frozen=True)
class VerifierIdentity:
    """Which pair classifier scored the pairs; a fitted rule holds only for the same one."""

    name: str  # registry name, e.g. "onnx"
    model: str  # where the model came from (folder or hub id)
    digest: str  # SHA-256 prefix of the weights: a rule follows the weights, not the name
    logits: int  # how many logits one pair gets

    def key(self) -> str:
        return f"{self.name}:{self.digest}:{self.logits}"


BATCH = 16  # pairs per model call


class Verifier(abc.ABC):
    identity: VerifierIdentity

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Verifier: ...

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Logits of each (caption, query) pair: shape (len(pairs), identity.logits), float32."""
        rows = [self._batch(pairs[i : i + BATCH]) for i in range(0, len(pairs), BATCH)]
        if not rows:
            return np.zeros((0, self.identity.logits), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)

    @abc.abstractmethod
    def _batch(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The logits of at most ``BATCH`` pairs."""
