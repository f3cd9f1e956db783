"""The words of camera prompts: move, speed, easing and atmosphere vocabularies as patterns.

Owns the tables :mod:`reelrag.generation.camera.prompt` reads a prompt with -- what each camera
move, speed word, easing word and atmosphere word looks like, the words that place a "from A to B"
at the top or bottom of the picture, and the action verbs that mark a clause a camera over a
still photo cannot draw -- plus the amounts of motion per second.
"""

from __future__ import annotations

import math
import re

SPEEDS: dict[str, float] = {
    "very slow": 0.4,
    "slow": 0.7,
    "medium": 1.0,
    "fast": 1.8,
    "very fast": 2.6,
}
EASINGS = ("ease-in-out", "linear", "ease-in", "ease-out")
ATMOSPHERES = ("snow", "rain", "particles", "sparks", "fog")
MOVE_NAMES = (
    "static",
    "pan-left",
    "pan-right",
    "pan-up",
    "pan-down",
    "tilt-up",
    "tilt-down",
    "zoom-in",
    "zoom-out",
    "dolly-in",
    "dolly-out",
    "truck-left",
    "truck-right",
    "pedestal-up",
    "pedestal-down",
    "roll-cw",
    "roll-ccw",
    "arc-left",
    "arc-right",
)
# Amount of motion per second at "medium" speed, and the most one clip may ask for.
TRANSLATE_PER_S, MAX_TRANSLATE = 0.02, 0.25  # fraction of the frame's width / height
ZOOM_PER_S, MAX_ZOOM_IN, MAX_ZOOM_OUT = 0.04, math.log(1.6), math.log(1.35)  # log zoom
ROLL_PER_S, MAX_ROLL = 1.5, 20.0  # degrees

_DIR = r"(left|right|up|upwards?|down|downwards?)"
_W = r"(?:\s+(?!from\b)\w+){0,2}?"  # up to two filler words ("slowly", "the camera")
MOVE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # (regex, kind, default direction); group "d" holds an explicit direction
    (
        r"\b(?:push|pushes|pushing|dolly|dollies|dollying|track|tracks|tracking|moves?|moving)"
        r"(?:\s+\w+)?\s+(?P<d>in|into|forward|forwards|closer|toward|towards)\b",
        "dolly",
        "in",
    ),
    (
        r"\b(?:pull|pulls|pulling|dolly|dollies|dollying|track|tracks|tracking|moves?|moving)"
        r"(?:\s+\w+)?\s+(?P<d>out|back|backward|backwards|away)\b",
        "dolly",
        "out",
    ),
    (r"\bzoom(?:s|ing|ed)?\b(?:" + _W + r"\s+(?P<d>in|into|out|closer|away)\b)?", "zoom", "in"),
    (
        r"\bpan(?:s|ning|ned)?\b(?:"
        + _W
        + r"\s+(?:to\s+the\s+|towards?\s+the\s+)?(?P<d>"
        + _DIR[1:-1]
        + r")\b)?",
        "pan",
        "",
    ),
    (r"\btilt(?:s|ing|ed)?\b(?:" + _W + r"\s+(?P<d>" + _DIR[1:-1] + r")\b)?", "tilt", ""),
    (r"\btruck(?:s|ing)?\b(?:" + _W + r"\s+(?P<d>left|right)\b)?", "truck", "right"),
    (
        r"\b(?:pedestal(?:s|ing)?|crane[sd]?|craning|boom(?:s|ing)?)\b(?:"
        + _W
        + r"\s+(?P<d>up|upwards?|down|downwards?)\b)?",
        "pedestal",
        "up",
    ),
    (
        r"\b(?:roll(?:s|ing)?|rotat(?:e|es|ing|ion)|spin(?:s|ning)?|twist(?:s|ing)?)\b(?:(?:\s+\w+)"
        r"{0,3}?\s+(?P<d>counterclockwise|clockwise|ccw|cw)\b)?",
        "roll",
        "cw",
    ),
    (r"\b(?:turn(?:s|ing)?)\s+(?:to\s+the\s+)?(?P<d>left|right)\b", "pan", ""),
    (
        r"\b(?:arc(?:s|ing)?|orbit(?:s|ing)?|circl(?:e|es|ing))\b(?:(?:\s+\w+){0,5}?\s+"
        r"(?P<d>left|right)\b)?",
        "arc",
        "left",
    ),
    (
        r"\bcamera\s+(?:moves|moving|glides|slides|drifts|travels)\s+(?P<d>left|right)\b",
        "truck",
        "",
    ),
    (
        r"\bcamera\s+(?:moves|moving|glides|slides|drifts|travels|rises)\s+(?P<d>up|down)\b",
        "pedestal",
        "",
    ),
    (
        r"\b(?:static|still camera|locked off|fixed camera|tripod shot"
        r"|no camera (?:movement|motion)|camera (?:stays|remains|is) still)\b",
        "static",
        "none",
    ),
)
SPEED_PATTERNS = (
    (
        r"\b(?:very|extremely|super|ultra)\s+slow(?:ly)?\b|\bbarely\b|\bglacial(?:ly)?\b",
        "very slow",
    ),
    (r"\b(?:very|extremely|super)\s+(?:fast|quick(?:ly)?|rapid(?:ly)?)\b|\bwhip\b", "very fast"),
    (
        r"\bslow(?:ly)?\b|\bslow motion\b|\bgentl[ey]\b|\bsubtl[ey]\b|\bslight(?:ly)?\b"
        r"|\bcalm(?:ly)?\b|\bleisurely\b",
        "slow",
    ),
    (r"\bfast\b|\bquick(?:ly)?\b|\bswift(?:ly)?\b|\brapid(?:ly)?\b|\bbrisk(?:ly)?\b", "fast"),
    (r"\bsteady\b|\bsteadily\b|\bmoderate(?:ly)?\b|\bmedium\b|\bnormal speed\b", "medium"),
)
EASING_PATTERNS = (
    (r"\blinear(?:ly)?\b|\bconstant speed\b|\bat a constant\b", "linear"),
    (r"\baccelerat\w*|\bspeeds? up\b", "ease-in"),
    (r"\bdecelerat\w*|\bslows? down\b|\bsettles?\b|\bcomes? to a (?:stop|rest)\b", "ease-out"),
)
ATMOSPHERE_PATTERNS = (
    (r"\bsnow\w*\b|\bblizzard\b", "snow"),
    (r"\brain\w*\b|\bdrizzl\w*\b|\bdownpour\b|\bshowers?\b", "rain"),
    (r"\bsparks?\b|\bembers?\b|\bfireflies\b", "sparks"),
    (r"\bdust\b|\bparticles?\b|\bmotes?\b|\bpollen\b|\bbokeh\b|\bdrifting specks?\b", "particles"),
    (r"\bfog\w*\b|\bmist\w*\b|\bhaze\b|\bhazy\b", "fog"),
)
TOP_WORDS = {
    "sky",
    "top",
    "ceiling",
    "head",
    "heads",
    "face",
    "clouds",
    "roof",
    "treetops",
    "moon",
    "sun",
    "stars",
    "horizon",
    "summit",
    "peak",
    "above",
}
BOTTOM_WORDS = {
    "ground",
    "floor",
    "road",
    "feet",
    "foot",
    "bottom",
    "water",
    "sand",
    "grass",
    "street",
    "sea",
    "shoes",
    "earth",
    "below",
    "base",
    "river",
    "lake",
    "beach",
}
_ACTION_VERBS = (  # noqa: SIM905 - a word list reads best as text
    "run walk jump fly swim dance set rise move open close smile wave blink explode burn "
    "flow grow melt appear disappear enter leave drive ride sing talk speak eat drink play "
    "bark laugh cry look sit stand come go arrive chase sway blow shine flicker bloom "
    "crash hop crawl climb kick throw catch hug kiss shake nod breathe wag roar fight race "
    "pour splash drip ripple sail float glide begin start turn fall wander bounce roll "
    "gallop swing yawn sleep stretch purr meow wink bite land cheer clap strike flash glow "
    "flap flutter twinkle sparkle hover soar dive leap erupt march skate surf ski paddle "
    "grin shout scream point pass hurry rush spill boil bubble pulse"
).split()
# irregular past forms that are not also common nouns or colours ("rose", "left", "dove")
_IRREGULAR = (  # noqa: SIM905
    "ran flew flown swam risen fallen sang sung ate eaten drank drunk came went gone drove "
    "driven rode ridden spoke spoken blew blown grew grown threw thrown caught shook shaken "
    "began begun sat stood slept struck sprang sprung leapt"
).split()


def _verb_forms(verb: str) -> set[str]:
    """Regular inflections (runs, running; flies, flied; hopping, hopped).

    >>> sorted(_verb_forms("fly") - {"fly"})
    ['flied', 'flies', 'flying']
    """
    if re.fullmatch(r".*[^aeiou]y", verb):
        return {verb, verb + "ing", verb[:-1] + "ies", verb[:-1] + "ied"}
    stem = verb[:-1] if verb.endswith("e") else verb
    doubled = verb + verb[-1] if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", verb) else verb
    return {
        verb,
        verb + "s",
        verb + "es",
        stem + "ing",
        doubled + "ing",
        stem + "ed",
        doubled + "ed",
        verb + "d",
    }


ACTION_RE = re.compile(
    r"\b(?:"
    + "|".join(sorted({f for v in _ACTION_VERBS for f in _verb_forms(v)} | set(_IRREGULAR)))
    + r"|sunset|sunrise)\b"
)
# "-ing" words that name a thing, not an action ("red running shoes", "a swimming pool")
ING_NOUNS = re.compile(
    r"\b(?:running|walking|climbing|dancing|riding|hiking|skating|swimming|diving|sleeping"
    r"|racing|sailing|drinking|playing|starting|finishing)\s+(?:shoes?|boots?|sneakers?|trainers?"
    r"|gear|track|trail|stick|pole|wall|rink|pool|suit|board|bag|car|bike|boat|ship|yacht"
    r"|water|glass|cards?|field|line|costume|outfit|jersey|helmet)\b"
)
CAMERA_WORDS = re.compile(
    r"\bcamera\b|\bshot\b|" + "|".join(p.replace("(?P<d>", "(") for p, _, _ in MOVE_PATTERNS)
)

# a camera move, then what it should aim at: "zoom in on the face", "push in towards a car"
AIM_RE = re.compile(
    r"\b(?:zoom|push|dolly|dollies|track|truck|move|pan|tilt|pedestal|crane|boom)\w*\b"
    r"[^,.;!]*?\b(?:on|onto|at|towards?|into)\s+"
    r"(?P<target>(?:the|a|an|its|his|her|their|this|that|my|our)\s+[^,.;!]+)"
)
# places in the frame: "zoom in on the left" is a direction, not something to aim at
PLACE_WORDS = {"left", "right", "top", "bottom", "up", "down", "centre", "center", "middle", "side"}
