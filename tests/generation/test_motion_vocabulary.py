"""The camera vocabulary, table-driven: each phrasing and the motion plan it must give.

Phrasings come from the seed's prompts, the demo, Nova Reel's and Luma's camera-motion wording
(push in, pull out, crane, pedestal, truck, orbit, locked-off, handheld, whip pan, crash zoom,
dolly zoom), LTX/Wan camera LoRA names (dolly-left, jib-up) and plain user English ("camera slowly
moves to the right", "hold still"). Expected: the segments in order (" then "), the moves of a
segment joined by "+", "default" for the gentle default of a prompt with no camera words,
"~handheld" when the plan shakes, "!nr" when the plan must list something as not rendered.
"""

from __future__ import annotations

import pytest

from reelrag.generation.camera.prompt import plan_motion

TABLE = """
pan left | pan-left
pan right | pan-right
camera pans left | pan-left
Camera pans left slowly | pan-left
the camera pans to the right | pan-right
slow pan towards the left | pan-left
panning right across the skyline | pan-right
pans left over the valley | pan-left
whip pan left | pan-left
whip-pan to the right | pan-right
camera turns to the left | pan-left
camera turns right | pan-right
camera swivels left | pan-left
pan from left to right | pan-right
pan right to left | pan-left
tilt up | tilt-up
tilt down | tilt-down
camera tilts up | tilt-up
Camera tilts up from the pad to the sky | tilt-up
camera tilt up from the road to the sky | tilt-up
tilt down from the sky to the road | tilt-down
tilting downwards slowly | tilt-down
slow tilt upward | tilt-up
the camera looks up | tilt-up
camera looks down at the street | tilt-down
pan up | pan-up
pan down | pan-down
Camera pans down | pan-down
camera pans up to the ceiling | pan-up
from the ground to the treetops | tilt-up
from the clouds to the sea | tilt-down
zoom in | zoom-in
zoom out | zoom-out
Camera zooms in slowly | zoom-in
slow zoom in on the flower | zoom-in !nr
fast zoom out | zoom-out
zooming out to reveal the city | zoom-out
zoom-in | zoom-in
zoom-out | zoom-out
camera zooms out slowly | zoom-out
crash zoom | zoom-in
crash zoom into the eyes | zoom-in !nr
zoom closer | zoom-in
the camera zooms back | zoom-out
push in | dolly-in
push-in on the subject | dolly-in !nr
slow push in | dolly-in
camera pushes in | dolly-in
dolly in | dolly-in
dolly-in | dolly-in
dolly forward | dolly-in
dolly out | dolly-out
dolly-out | dolly-out
dolly back | dolly-out
pull out | dolly-out
pull back | dolly-out
pull back to reveal the valley | dolly-out
camera pulls back slowly | dolly-out
camera moves forward | dolly-in
camera moves closer | dolly-in
camera creeps in | dolly-in
camera glides forward | dolly-in
camera moves backward | dolly-out
camera drifts away | dolly-out
camera retreats back | dolly-out
tracking in towards the door | dolly-in !nr
push through the doorway | dolly-in
drone reveal | dolly-out
truck left | truck-left
truck right | truck-right
trucking left slowly | truck-left
camera trucks to the right | truck-right
crab left | truck-left
dolly left | truck-left
dolly right | truck-right
track left | truck-left
tracking right along the wall | truck-right
camera moves left | truck-left
camera moves right | truck-right
camera slowly moves to the right | truck-right
the camera moves to the left | truck-left
camera glides to the right | truck-right
camera slides left | truck-left
camera drifts to the left | truck-left
camera travels right | truck-right
camera shifts to the right | truck-right
we move to the left | truck-left
moves to the right | truck-right
the view slides right | truck-right
camera strafes left | truck-left
pedestal up | pedestal-up
pedestal down | pedestal-down
crane up | pedestal-up
crane down | pedestal-down
crane shot rising | pedestal-up
boom up | pedestal-up
boom down | pedestal-down
jib up | pedestal-up
jib down | pedestal-down
camera moves up | pedestal-up
camera moves down | pedestal-down
the camera rises | pedestal-up
camera slowly rises | pedestal-up
camera descends | pedestal-down
camera lowers slowly | pedestal-down
the camera sinks | pedestal-down
camera floats upward | pedestal-up
drone shot rising | pedestal-up
drone ascends over the forest | pedestal-up
roll clockwise | roll-cw
roll counterclockwise | roll-ccw
roll counter-clockwise | roll-ccw
Camera rotates clockwise | roll-cw
camera rotates anticlockwise | roll-ccw
camera rotates anti-clockwise slowly | roll-ccw
the camera rolls | roll-cw
camera spins clockwise | roll-cw
rotation clockwise | roll-cw
roll left | roll-ccw
roll right | roll-cw
barrel roll | roll-cw
camera twists counterclockwise | roll-ccw
dutch angle | roll-cw
arc left | arc-left
arc right | arc-right
orbit right | arc-right
orbit around the statue to the left | arc-left
orbiting the car | arc-left
circle around the tree to the right | arc-right
camera revolves right | arc-right
static shot | static
static | static
locked-off shot | static
locked off camera | static
tripod shot | static
still camera | static
fixed camera | static
no camera movement | static
no movement | static
hold still | static
the camera holds still | static
camera stays still | static
camera remains static | static
freeze frame | static
freeze-frame on the runner | static
the environment stays silent and still | static
everything is still | static
a quiet lake, perfectly still | static
motionless shot of the bridge | static
keep the camera still | static
the camera does not move | static
Camera zooms in slowly while the environment stays silent and still | zoom-in
pan left while the scene remains motionless | pan-left
handheld | static ~handheld
handheld shot of a busy market | static ~handheld
shaky cam | static ~handheld
documentary-style handheld | static ~handheld
handheld pan right | pan-right ~handheld
handheld push in | dolly-in ~handheld
slow zoom in, handheld | zoom-in ~handheld
parallax | truck-right !nr
parallax shot | truck-right !nr
slow parallax move to the left | truck-left !nr
dolly zoom | zoom-in !nr
vertigo effect | zoom-in !nr
rack focus | default !nr
fpv drone fly-through | dolly-in !nr
tiny planet | default !nr
Zoom in, then pan right | zoom-in then pan-right
zoom in then pan right | zoom-in then pan-right
pan left, then tilt up | pan-left then tilt-up
push in, then hold still | dolly-in then static
pan right, then tilt down, then zoom out | pan-right then tilt-down then zoom-out
tilt up followed by a zoom in | tilt-up then zoom-in
zoom out and then roll clockwise | zoom-out then roll-cw
truck left, after that crane up | truck-left then pedestal-up
zoom in while panning left | zoom-in+pan-left
zoom in and pan left | zoom-in+pan-left
tilt up as the camera rolls clockwise | tilt-up+roll-cw
dolly in with a slight roll counterclockwise | dolly-in+roll-ccw
a seashell in the sand | default
a cinematic shot of a red car | default
A cinematic shot of a ginger cat. Camera zooms in slowly. | zoom-in
A cup of coffee in soft natural light. Camera pans left. | pan-left
Red running shoes, with snow falling. Camera pans down. | pan-down
magnify the details | zoom-in
"""
ROWS = [tuple(part.strip() for part in line.split("|")) for line in TABLE.strip().splitlines()]


def describe(prompt: str) -> tuple[str, bool]:
    plan = plan_motion(prompt, 6.0)
    segments = plan.segments or (tuple(m.name for m in plan.moves),)
    text = "default" if plan.default else " then ".join("+".join(s) for s in segments)
    return text + (" ~handheld" if plan.shake else ""), bool(plan.not_rendered)


def test_the_table_is_big_enough() -> None:
    assert len(ROWS) >= 150
    assert len({phrase.lower() for phrase, _ in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("phrase", "expected"), ROWS, ids=[r[0][:40] for r in ROWS])
def test_phrase_gives_its_plan(phrase: str, expected: str) -> None:
    wanted_nr = expected.endswith("!nr")
    assert describe(phrase) == (expected.removesuffix("!nr").strip(), wanted_nr)
