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
_SIDE = r"(?:\s+(?:to|towards?)\s+(?:the\s+)?|\s+)"  # "moves to the right", "slides left"
_TRAVEL = (
    r"(?:moves?|moving|glides?|gliding|slides?|sliding|drifts?|drifting|travel(?:s|l?ing)?"
    r"|shifts?|shifting|strafes?|strafing|steps?|stepping|sidesteps?|sidestepping|goes|going"
    r"|heads?|heading|dolly|dollies|dollying|crab(?:s|bing)?)"
)
MOVE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # (regex, kind, default direction); group "d" holds an explicit direction
    (
        r"\b(?:push|pushes|pushing|dolly|dollies|dollying|track|tracks|tracking|moves?|moving"
        r"|creep(?:s|ing)?|glides?|gliding|travel(?:s|l?ing)?|fly|flies|flying|drifts?|drifting)"
        r"(?:\s+\w+)?\s+(?P<d>in|into|forward|forwards|closer|toward|towards)\b",
        "dolly",
        "in",
    ),
    (r"\b(?:push[\s-]?in|push[\s-]?through|dolly[\s-]in|creep[\s-]in)\b", "dolly", "in"),
    (
        r"\b(?:pull|pulls|pulling|dolly|dollies|dollying|track|tracks|tracking|moves?|moving"
        r"|backs?|backing|retreats?|retreating|recedes?|receding|drifts?|drifting)"
        r"(?:\s+\w+)?\s+(?P<d>out|back|backward|backwards|away)\b",
        "dolly",
        "out",
    ),
    (
        r"\b(?:pull[\s-]?back|pull[\s-]?out|dolly[\s-]out|reveal shot|drone reveal)\b",
        "dolly",
        "out",
    ),
    (r"\bcrash[\s-]?zoom(?:s|ing)?\b", "zoom", "in"),
    (
        r"\bzoom(?:s|ing|ed)?\b(?:" + _W + r"[\s-]+(?P<d>in|into|out|closer|away|back)\b)?",
        "zoom",
        "in",
    ),
    (r"\b(?:magnif(?:y|ies|ying)|enlarg(?:e|es|ing))\b", "zoom", "in"),
    (
        r"\b(?:whip[\s-])?pan(?:s|ning|ned)?\b(?:"
        + _W
        + r"\s+(?:to\s+the\s+|towards?\s+the\s+|to\s+)?(?P<d>"
        + _DIR[1:-1]
        + r")\b)?",
        "pan",
        "",
    ),
    (
        r"\btilt(?:s|ing|ed)?\b(?:" + _W + r"[\s-]+(?P<d>" + _DIR[1:-1] + r")\b)?",
        "tilt",
        "",
    ),
    (
        r"\b(?:look(?:s|ing)?|glances?|glancing)\s+(?P<d>up|upwards?|down|downwards?)\b",
        "tilt",
        "",
    ),
    (
        r"\b(?:truck(?:s|ing)?|crab(?:s|bing)?|dolly[\s-](?=left|right)|tracking shot"
        r"|track(?:s|ing)?(?=\s+(?:left|right)))\b(?:" + _W + r"[\s-]*(?P<d>left|right)\b)?",
        "truck",
        "right",
    ),
    (
        r"\b(?:pedestal(?:s|ing)?|crane[sd]?|craning|boom(?:s|ing)?|jib(?:s|bing)?"
        r"|elevat(?:e|es|ing|or))\b(?:"
        + _W
        + r"[\s-]+(?P<d>up|upwards?|down|downwards?|rising|rises|ascending|descending"
        r"|lowering)\b)?",
        "pedestal",
        "up",
    ),
    (
        r"\b(?:roll(?:s|ing)?|rotat(?:e|es|ing|ion)|spin(?:s|ning)?|twist(?:s|ing)?"
        r"|barrel[\s-]roll|dutch[\s-]?(?:angle|tilt)|360)\b(?:(?:\s+\w+)"
        r"{0,3}?\s+(?P<d>counterclockwise|clockwise|ccw|cw|left|right)\b)?",
        "roll",
        "cw",
    ),
    (r"\b(?:turn(?:s|ing)?|swivel(?:s|s?ing)?)\s+(?:to\s+the\s+)?(?P<d>left|right)\b", "pan", ""),
    (
        r"\b(?:arc(?:s|ing)?|orbit(?:s|ing)?|circl(?:e|es|ing)|revolv(?:e|es|ing))\b(?:(?:\s+\w+)"
        r"{0,5}?\s+(?P<d>left|right)\b)?",
        "arc",
        "left",
    ),
    (
        r"\b(?:camera|we|view|frame|shot)\s+"
        + _TRAVEL
        + r"(?:\s+\w+ly)?"
        + _SIDE
        + r"(?P<d>left|right)(?:wards?)?\b",
        "truck",
        "",
    ),
    (
        r"\b" + _TRAVEL + r"(?:\s+\w+ly)?\s+(?:to|towards?)\s+the\s+(?P<d>left|right)\b",
        "truck",
        "",
    ),
    (
        r"\b(?:camera|we|view|frame|shot)\s+(?:\w+ly\s+)?(?:moves|moving|glides|slides|drifts"
        r"|travels|rises|rising|lifts|lifting|floats|floating|climbs|climbing|ascends|ascending"
        r"|descends|descending|sinks|sinking|drops|dropping|lowers|lowering|raises|raising)"
        r"(?:\s+\w+ly)?\s+(?P<d>up|upwards?|down|downwards?)\b",
        "pedestal",
        "",
    ),
    (
        r"\bcamera\s+(?:\w+ly\s+)?(?P<d>rises|lifts|ascends|climbs|floats up|descends|sinks"
        r"|lowers|drops)\b",
        "pedestal",
        "",
    ),
    (
        r"\b(?:drone|aerial)\s+(?:shot\s+)?(?P<d>rises?|rising|ascends?|ascending|lift[\s-]?off)\b",
        "pedestal",
        "up",
    ),
    (
        r"\b(?:static|still camera|locked[\s-]off|lock[\s-]off|fixed camera|tripod shot"
        r"|stationary camera|no camera (?:movement|motion)|camera (?:stays|remains|is|holds)"
        r" (?:still|steady|static|fixed|stationary|motionless)|camera does not move"
        r"|camera doesn't move|no (?:movement|motion)|hold(?:s|ing)? (?:still|steady)"
        r"|freeze[\s-]frame|frozen frame|still frame|still shot|motionless shot"
        r"|keep the camera still)\b",
        "static",
        "none",
    ),
)
# A still scene ("the environment stays silent and still") gives a static shot when the prompt
# names no camera move; beside a move it describes the scene and the move stays.
STILL_RE = re.compile(
    r"\b(?:(?:stays?|remains?|stands?|is|are|keeps?|holds?|sits?)\s+(?:\w+\s+and\s+)?"
    r"(?:perfectly\s+|completely\s+|totally\s+)?(?:still|motionless|static|frozen|unmoving)"
    r"|(?:perfectly|completely|totally|utterly|dead)\s+still|motionless|stillness"
    r"|no (?:movement|motion)|frozen in time|freeze[\s-]frame"
    r"|hold(?:s|ing)? still|still life|everything is still)\b"
)
HANDHELD_RE = re.compile(
    r"\b(?:hand[\s-]?held|shaky[\s-]?cam|shaky|camera shake|shaking camera|handy[\s-]?cam"
    r"|documentary[\s-]style|wobbl(?:e|y|ing) camera|jittery camera|found[\s-]footage)\b"
)
# named shots a camera over a flat photo cannot make: (pattern, note, stand-in move or "")
UNSUPPORTED_SHOTS: tuple[tuple[str, str, str], ...] = (
    (
        r"\bparallax\b|\b2\.5d\b",
        "parallax (a flat photo has no depth; rendered as a truck move)",
        "truck-right",
    ),
    (
        r"\bdolly[\s-]?zoom\b|\bvertigo (?:shot|effect)\b|\bzolly\b",
        "dolly zoom (needs depth; rendered as a zoom in)",
        "zoom-in",
    ),
    (
        r"\brack[\s-]?focus\b|\bfocus pull\b|\bpull focus\b",
        "rack focus (the photo's focus cannot change)",
        "",
    ),
    (
        r"\b(?:follow(?:s|ing)?|tracking) (?:shot|the subject|behind)\b|\bfollow[\s-]cam\b",
        "following a moving subject (the photo's subject does not move)",
        "",
    ),
    (
        r"\bfpv\b|\bfly[\s-]?through\b|\bbolt[\s-]?cam\b",
        "fly-through (needs depth; rendered as a push in)",
        "dolly-in",
    ),
    (r"\btiny[\s-]?planet\b|\bfish[\s-]?eye\b", "lens distortion (tiny planet / fisheye)", ""),
    (
        r"\bpov\b|\bpoint[\s-]of[\s-]view\b|\bfirst[\s-]person\b",
        "point-of-view movement (needs a scene, not a photo)",
        "",
    ),
    (
        r"\bbokeh\s+shift\b|\bdepth[\s-]of[\s-]field\s+change\b",
        "depth-of-field change",
        "",
    ),
)
# "zoom in, then pan right": parts of a sequence, run one after the other
SEQUENCE_RE = re.compile(
    r"\b(?:and\s+)?then\b|\bfollowed\s+by\b|\bafter\s+that\b|\bafterwards\b|\bfinally\b"
    r"|\bbefore\s+(?=\w+ing\b)|\bnext\b,?|\s->\s|\s→\s"
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
    "tower",
    "spire",
    "canopy",
    "tip",
    "crown",
    "skyline",
    "rooftops",
    "branches",
    "tops",
    "heavens",
    "nose",
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
    "pad",
    "deck",
    "steps",
    "shore",
    "path",
    "pavement",
    "sidewalk",
    "roots",
    "trunk",
    "waves",
    "table",
    "toes",
    "tracks",
    "wheels",
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
    "|".join(p.replace("(?P<d>", "(") for p, _, _ in MOVE_PATTERNS)
    + r"|\bcamera\b|\bshot\b|"
    + "|".join(p for p, _, _ in UNSUPPORTED_SHOTS)
    + "|"
    + HANDHELD_RE.pattern
    + "|"
    + STILL_RE.pattern
)

# a camera move, then what it should aim at: "zoom in on the face", "push in towards a car"
AIM_RE = re.compile(
    r"\b(?:zoom|push|dolly|dollies|track|truck|move|pan|tilt|pedestal|crane|boom)\w*\b"
    r"[^,.;!]*?\b(?:on|onto|at|towards?|into)\s+"
    r"(?P<target>(?:the|a|an|its|his|her|their|this|that|my|our)\s+[^,.;!]+)"
)
# places in the frame: "zoom in on the left" is a direction, not something to aim at
PLACE_WORDS = {"left", "right", "top", "bottom", "up", "down", "centre", "center", "middle", "side"}
