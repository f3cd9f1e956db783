"""Which acceptance rule a search uses: the built-in one, or one fitted in the workspace.

The built-in rule (:data:`reelrag.matching.acceptance.MINILM_ACCEPTANCE`) was fitted for the
bundled MiniLM; the bundled verifier (:mod:`reelrag.matching.minilm_verifier`) ships the rule
fitted for it with that embedder (``reelrag/data/verifier/rule.json``), and ``verifier =
"auto"`` uses it wherever that rule holds. ``reelrag fit-rule`` (:mod:`reelrag.matching.fitting`)
fits one for the embedder and verifier in use on the bundled labelled set and writes it to
``<workspace>/rules/acceptance.json`` with the identities it was fitted for; a search uses it
while both are the same. A verifier without a rule fitted for it is refused: its logits mean
nothing until then.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import asdict, dataclass, field
from importlib import resources
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
AUTO = "auto"  # the bundled verifier where its shipped rule holds, else none
NONE = ("", "none")  # no verifier ("none" where an empty value cannot be given, as in env)
BUNDLED = "minilm"
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
        verifier = self.verifier.identity if self.verifier else None
        reads = f", verifier {verifier.name} {verifier.model}" if verifier else ""
        if self.source == "built-in":
            return f"built-in learned rule{reads}"
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


def shipped(name: str) -> Path:
    """A file of the bundled verifier (its weights, its rule) in the installed package."""
    return Path(str(resources.files("reelrag.data").joinpath("verifier", name)))


@functools.cache
def shipped_rule() -> FittedRule | None:
    """The rule fitted for the bundled verifier with the bundled embedder, where it ships
    (read once: resolving ``auto`` and loading the rule both ask for it)."""
    path = shipped("rule.json")
    return FittedRule.load(path) if path.is_file() else None


def verifier_name(setting: str, embedder: EmbedderIdentity, learned: bool = True) -> str:
    """The registry name of the verifier to use (``""``: none): ``setting``, with ``auto``
    resolved to the bundled verifier where its shipped rule was fitted for ``embedder`` (and the
    learned rule decides), else to none, and ``none`` to none."""
    if setting in NONE:
        return ""
    if setting != AUTO:
        return setting
    shipped = shipped_rule()
    return BUNDLED if learned and shipped and shipped.embedder == embedder.key() else ""


def load_rule(workspace: Path, embedder: EmbedderIdentity, verifier: Verifier | None) -> Rule:
    """The workspace's fitted rule where it was fitted for ``embedder`` and ``verifier``, else
    the shipped one where it was, else the built-in one; a verifier needs a rule fitted for it."""
    path = workspace / RULE_FILE
    fitted = FittedRule.load(path) if path.is_file() else None
    wanted = verifier.identity.key() if verifier else ""
    if fitted and fitted.embedder == embedder.key() and fitted.verifier == wanted:
        return Rule(fitted.acceptance, verifier, str(path))
    shipped = shipped_rule() if verifier is not None else None
    if shipped and shipped.embedder == embedder.key() and shipped.verifier == wanted:
        return Rule(shipped.acceptance, verifier)
    if verifier is not None:
        where = "no fitted rule" if fitted is None else "a rule fitted for other models"
        raise InputError(f"verifier {verifier.identity.model} has {where} in {workspace}",
                         hint=FIT_HINT)  # fmt: skip
    if fitted is not None:
        log.warning("%s was fitted for other models; using the built-in rule", path)
    return builtin_rule(embedder)
