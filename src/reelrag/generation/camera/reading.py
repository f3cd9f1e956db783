"""Reading a camera prompt's words: spelling, "from A to B", atmosphere, and what is not drawable.

Owns the text analysis :mod:`~reelrag.generation.camera.prompt` builds motion plans on: one
spelling for direction words, the "from the road to the sky" phrase and the direction it implies,
atmosphere words, and ``not_rendered``: scene actions ("a dog runs in"), aim targets ("zoom in
on the face") and named shots the engine cannot make ("parallax", "rack focus").
"""

from __future__ import annotations

import re

from reelrag.generation.camera.vocabulary import (
    ACTION_RE,
    AIM_RE,
    ATMOSPHERE_PATTERNS,
    ATMOSPHERES,
    BOTTOM_WORDS,
    CAMERA_WORDS,
    EASING_PATTERNS,
    ING_NOUNS,
    PLACE_WORDS,
    SPEED_PATTERNS,
    TOP_WORDS,
    UNSUPPORTED_SHOTS,
)

__all__ = [
    "aim_targets",
    "atmosphere_in",
    "first_match",
    "from_to_direction",
    "normalize",
    "not_rendered",
    "parse_from_to",
    "unrenderable",
]


def normalize(prompt: str) -> str:
    """Lower case, unified spellings ("counter-clockwise" -> "counterclockwise")."""
    text = prompt.lower().replace("’", "'")
    text = re.sub(r"\b(?:counter|anti)[\s-]*clock[\s-]*wise\b", "counterclockwise", text)
    text = re.sub(r"\bclock[\s-]+wise\b", "clockwise", text)
    text = re.sub(r"\bleft[\s-]+to[\s-]+right\b", "from left to right", text)
    text = re.sub(r"\bright[\s-]+to[\s-]+left\b", "from right to left", text)
    text = re.sub(r"\bfrom from\b", "from", text)
    text = re.sub(r"\blocked[\s-]+off\b", "locked off", text)
    text = re.sub(r"\bpush[\s-]+in\b", "push in", text)
    return re.sub(r"\s+", " ", text).strip()


def first_match(text: str, patterns: tuple[tuple[str, str], ...]) -> str | None:
    hits = [(m.start(), value) for pattern, value in patterns for m in re.finditer(pattern, text)]
    return min(hits)[1] if hits else None


def parse_from_to(text: str) -> tuple[str, str] | None:
    match = re.search(
        r"\bfrom (?:the )?([\w' ]+?) to (?:the )?([\w' ]+?)(?=[,.;]| while\b| and\b"
        r"| as\b| in\b| with\b|$)",
        text,
    )
    return (match.group(1).strip(), match.group(2).strip()) if match else None


def from_to_direction(from_to: tuple[str, str]) -> str | None:
    """ "from the road to the sky" -> "up"; "from left to right" -> "right"."""

    def place(words: str) -> str | None:
        tokens = set(words.split())
        for name, vocab in (
            ("top", TOP_WORDS),
            ("bottom", BOTTOM_WORDS),
            ("left", {"left"}),
            ("right", {"right"}),
        ):
            if tokens & vocab:
                return name
        return None

    a, b = place(from_to[0]), place(from_to[1])
    pairs = {
        ("bottom", "top"): "up",
        ("top", "bottom"): "down",
        ("left", "right"): "right",
        ("right", "left"): "left",
    }
    return pairs.get((a or "", b or ""))


def atmosphere_in(text: str) -> list[str]:
    found = {value for pattern, value in ATMOSPHERE_PATTERNS if re.search(pattern, text)}
    return [a for a in ATMOSPHERES if a in found]


def unrenderable(text: str) -> list[str]:
    """Clauses that ask for action in the scene (a dog runs in, the sun sets): not drawable.

    Camera and speed words are taken out of a clause first, so the rest is judged on its own:

    >>> unrenderable("zoom in on the dog wagging its tail, snow falls")
    ['the dog wagging its tail']
    """
    out = []
    for clause in (c.strip() for c in _clauses(text)):
        rest = _scene_words(clause)
        if ACTION_RE.search(ING_NOUNS.sub(" ", rest)) and not atmosphere_in(rest):
            out.append(rest)
    return out


def aim_targets(text: str) -> list[str]:
    """What the prompt asks the camera to aim at ("zoom in on the face"): the engine frames
    the photo's centre, so such a target is not honoured. Places in the frame are directions.

    >>> aim_targets("slow zoom in on the face, pan towards the left")
    ['the face']
    """
    found = []
    for clause in _clauses(text):
        match = AIM_RE.search(clause)
        if match is None:
            continue
        target = _scene_words(match.group("target").strip())
        if target and not set(target.split()) & PLACE_WORDS:
            found.append(target)
    return found


def _clauses(text: str) -> list[str]:
    """The prompt's clauses: split at punctuation (a full stop only before a space or the
    end, so "1.5" stays whole) and at linking words."""
    return re.split(r"[,;!]|\.(?:\s|$)|\b(?:and|while|as|then|with|but)\b", text)


def not_rendered(text: str) -> tuple[str, ...]:
    actions = unrenderable(text)
    aims = [f"aim at {t}" for t in aim_targets(text) if not any(t in a for a in actions)]
    shots = [note for pattern, note, _ in UNSUPPORTED_SHOTS if re.search(pattern, text)]
    return tuple(actions + aims + shots)


def _scene_words(clause: str) -> str:
    """``clause`` without its camera, speed and easing phrases (and the words linking them)."""
    rest = CAMERA_WORDS.sub(" ", clause)
    for pattern, _ in SPEED_PATTERNS + EASING_PATTERNS:
        rest = re.sub(pattern, " ", rest)
    rest = " ".join(rest.split())
    if rest == clause:
        return clause
    rest = re.sub(r"^(?:(?:on|onto|at|to|towards?|over|of|in|into)\b\s*)+", "", rest)
    return re.sub(r"^(?:the\s+)?(?:camera|shot)\b\s*", "", rest)
