"""Which acceptance rule a search uses: the built-in one, or one fitted in the workspace.

The built-in rule (:data:`reelrag.matching.acceptance.MINILM_ACCEPTANCE`) was fitted for the
bundled MiniLM. ``reelrag fit-rule`` (:mod:`reelrag.matching.fitting`) fits one for the
embedder and verifier in use on the bundled labelled set and writes it to ``<workspace>/rules/
acceptance.json`` with the identities it was fitted for; a search uses it while both are the
same. A verifier without a rule fitted for it is refused: its logits mean nothing until then.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reelrag.embeddings.base import EmbedderIdentity
from reelrag.errors import InputError
from reelrag.matching.acceptance import Acceptance, acceptance_for
from reelrag.matching.decision import match_model
from reelrag.matching.verifier import Verifier
from reelrag.storage.local import atomic_write_bytes

log = logging.getLogger(__name__)

RULE_FILE = Path("rules") / "acceptance.json"
FIT_HINT = "run `reelrag fit-rule` once, a few minutes on a CPU; or unset verifier"


@dataclass(frozen=True)
class Rule:
    """The acceptance model of a search and the verifier whose logits it reads, if any."""

    acceptance: Acceptance | None
    verifier: Verifier | None = None
    source: str = "built-in"  # or the fitted rule's file

    def describe(self, learned: bool = True) -> str:
        """Which rule decides, in a few words (``learned``: the setting ``match_learned``)."""
        if self.acceptance is None or not learned:
            return "hand-built confidence"
        if self.source == "built-in":
            return "built-in learned rule"
        verifier = self.verifier.identity if self.verifier else None
        reads = f", verifier {verifier.name} {verifier.model}" if verifier else ""
        return f"fitted rule {self.source}{reads}"


@dataclass(frozen=True)
class FittedRule:
    """A rule fitted by ``reelrag fit-rule``, with what it was fitted for and its figures."""

    weights: tuple[float, ...]
    bias: float
    embedder: str  # EmbedderIdentity.key()
    verifier: str  # VerifierIdentity.key(), "" without one
    features: tuple[str, ...]
    cut: float  # the cross-validated cut folded into the bias
    figures: dict[str, Any] = field(default_factory=dict)  # cross-validated recall / refusal

    @property
    def acceptance(self) -> Acceptance:
        return Acceptance(self.weights, self.bias)

    def save(self, workspace: Path) -> Path:
        path = workspace / RULE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(asdict(self), indent=2).encode())
        return path

    @classmethod
    def load(cls, path: Path) -> FittedRule:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["weights"] = tuple(float(w) for w in data["weights"])
            data["features"] = tuple(data["features"])
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{path} is not a fitted rule ({exc})", hint=FIT_HINT) from exc


def builtin_rule(identity: EmbedderIdentity) -> Rule:
    """The rule shipped for ``identity``'s family (``None``: the hand-built confidence)."""
    return Rule(acceptance_for(match_model(identity.name, identity.model)))


def load_rule(workspace: Path, embedder: EmbedderIdentity, verifier: Verifier | None) -> Rule:
    """The workspace's fitted rule where it was fitted for ``embedder`` and ``verifier``, else
    the built-in one; a verifier needs a rule fitted for it."""
    path = workspace / RULE_FILE
    fitted = FittedRule.load(path) if path.is_file() else None
    wanted = verifier.identity.key() if verifier else ""
    if fitted and fitted.embedder == embedder.key() and fitted.verifier == wanted:
        return Rule(fitted.acceptance, verifier, str(path))
    if verifier is not None:
        where = "no fitted rule" if fitted is None else "a rule fitted for other models"
        raise InputError(f"verifier {verifier.identity.model} has {where} in {workspace}",
                         hint=FIT_HINT)  # fmt: skip
    if fitted is not None:
        log.warning("%s was fitted for other models; using the built-in rule", path)
    return builtin_rule(embedder)
