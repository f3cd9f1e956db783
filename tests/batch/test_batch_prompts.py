"""Prompt files: joining rules, rows formats, odd files, and a fuzzed parser that never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelrag.batch.files import parse_templates, read_prompt_file
from reelrag.batch.rows import batch_id_for
from reelrag.batch.templates import fill_template
from reelrag.errors import InputError

T = "A photo of <object_prompt>. <action_prompt>."


@pytest.mark.parametrize(
    ("template", "obj", "action", "expected"),
    [
        (T, "red shoes", "Camera pans down.", "A photo of red shoes. Camera pans down."),
        (T, "red shoes", "camera pans down", "A photo of red shoes. Camera pans down."),
        (T, "  red   shoes ", "Camera pans down", "A photo of red shoes. Camera pans down."),
        (T, "red shoes", "", "A photo of red shoes."),
        ("<object_prompt> while <action_prompt>", "red shoes", "Camera pans down.",
         "Red shoes while camera pans down."),
        ("Close-up of <object_prompt>, <action_prompt>.", "Eiffel Tower", "Camera tilts up!",
         "Close-up of Eiffel Tower, camera tilts up!"),
        ("<action_prompt>. Shot on film.", None, "slow zoom in...",
         "Slow zoom in... Shot on film."),
        ("Video of <object_prompt> as <action_prompt>", "a rocket", "NASA crane lifts it.",
         "Video of a rocket as NASA crane lifts it."),
        ("A still life.", "ignored", "ignored", "A still life."),
        ("<object_prompt>.", "red shoes.", None, "Red shoes."),
    ],
)  # fmt: skip
def test_fill_template_joins_cleanly(
    template: str, obj: str | None, action: str | None, expected: str
) -> None:
    assert fill_template(template, obj, action) == expected


def test_templates_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("# header\n\n" + T + "\n   \nZoom on <object_prompt>\n", encoding="utf-8")
    rows = read_prompt_file(path, object_text="red shoes", action_text="Camera pans down.")
    assert [(r.line, r.prompt) for r in rows] == [
        (3, "A photo of red shoes. Camera pans down."), (5, "Zoom on red shoes"),
    ]  # fmt: skip
    assert rows[0].object == "red shoes"


@pytest.mark.parametrize("bad", ["<object-prompt>", "<objectprompt>", "{action_prompt}",
                                 "<Object_Prompt>", "[action prompt]",
                                 "object_prompt"])  # fmt: skip
def test_misspelled_placeholders_are_refused_with_the_line(bad: str) -> None:
    with pytest.raises(InputError) as err:
        parse_templates(f"fine line <object_prompt>\nA photo of {bad}", "x", "y", source="p.txt")
    assert "p.txt line 2" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_values_are_refused() -> None:
    with pytest.raises(InputError, match="--object"):
        parse_templates(T, None, "pan")
    with pytest.raises(InputError, match="--action"):
        parse_templates(T, "shoes", None)


def test_csv_rows_set_their_own_fields(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "object,action,prompt,backend,seed,duration,output\n"
        "red shoes,Camera pans down.,,camera,7,2.5,shoes\n"
        ',,"A beach, at dusk",simulated,,,beach\n'
        "\n",
        encoding="utf-8",
    )
    rows = read_prompt_file(path, action_text="zoom in")
    assert rows[0].prompt == "Red shoes. Camera pans down."
    assert (rows[0].backend, rows[0].seed, rows[0].duration_s, rows[0].output) == (
        "camera",
        7,
        2.5,
        "shoes",
    )
    assert (rows[1].prompt, rows[1].action, rows[1].line) == ("A beach, at dusk", "zoom in", 3)


def test_jsonl_and_yaml_rows(tmp_path: Path) -> None:
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text(json.dumps({"object": "cat", "asset_id": "abc"}) + "\n\n"
                     + json.dumps({"prompt": "<object_prompt> spins", "object": "a top"})
                     + "\n")  # fmt: skip
    rows = read_prompt_file(jsonl, action_text="Camera orbits.")
    assert (rows[0].prompt, rows[0].asset_id) == ("Cat. Camera orbits.", "abc")
    assert (rows[1].prompt, rows[1].line) == ("A top spins", 3)
    yml = tmp_path / "rows.yaml"
    yml.write_text(
        "rows:\n  - {object: red shoes, image: shoe.jpg, seed: 3}\n  - prompt: a quiet lake\n"
    )
    rows = read_prompt_file(yml, action_text="pan left")
    assert (rows[0].image, rows[0].seed, rows[1].prompt) == ("shoe.jpg", 3, "a quiet lake")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "has no prompts"),
        ("comments.txt", b"# only\n\n", "has no prompts"),
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "looks binary"),
        ("latin.txt", "caf\u00e9 <object_prompt>".encode("latin-1"), "not UTF-8"),
        ("cols.csv", b"objekt,action\nshoes,pan\n", "unknown column 'objekt'"),
        ("seed.csv", b"prompt,seed\nhello,abc\n", "seed 'abc' is not a number"),
        ("dup.csv", b"prompt,output\na,x\nb,x\n", "used twice"),
        ("out.csv", b"prompt,output\na,../evil\n", "not a plain file name"),
        ("bad.jsonl", b'{"prompt": "a"}\n{oops\n', "line 2 is not valid JSON"),
        ("scalar.yaml", b"just a string\n", "must hold a list"),
        ("broken.yaml", b"rows: [a, b\n", "not valid YAML"),
        ("item.json", b'["a prompt"]', "expected a mapping"),
    ],
)  # fmt: skip
def test_odd_files_give_one_line_messages(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_prompt_file(path, object_text="shoes", action_text="pan")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_huge_and_missing_files_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * 5_000_001)
    with pytest.raises(InputError, match="split it"):
        read_prompt_file(huge)
    with pytest.raises(InputError, match="does not exist"):
        read_prompt_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="more than"):
        parse_templates("a prompt\n" * 10_001, None, None)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffZoom on <object_prompt>".encode())
    assert read_prompt_file(path, object_text="shoes")[0].prompt == "Zoom on shoes"


def test_batch_id_is_deterministic() -> None:
    rows = parse_templates("a <object_prompt>\nb <object_prompt>", "shoes", None)
    assert batch_id_for(rows, {"x": 1}) == batch_id_for(list(rows), {"x": 1})
    assert batch_id_for(rows, {"x": 1}) != batch_id_for(rows[:1], {"x": 1})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(st.sampled_from([*"ab .,!?#<>{}_-\n\tOA", "<object_prompt>",
                  "<action_prompt>", "<object-prompt>", "..."]), max_size=40).map("".join),
    obj=st.one_of(st.none(), st.text(max_size=20)),
    action=st.one_of(st.none(), st.text(max_size=20)),
)  # fmt: skip
def test_parser_never_crashes(text: str, obj: str | None, action: str | None) -> None:
    try:
        rows = parse_templates(text, obj, action)
    except InputError as err:
        assert "\n" not in str(err)
        return
    for row in rows:
        assert row.prompt and row.prompt == row.prompt.strip()
        assert "<object_prompt>" not in row.prompt and "<action_prompt>" not in row.prompt
        assert "  " not in row.prompt


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=200),
    suffix=st.sampled_from([".txt", ".csv", ".jsonl", ".yaml", ".json"]),
)
def test_any_bytes_give_rows_or_a_clear_error(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                              suffix: str) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("fuzz") / f"prompts{suffix}"
    path.write_bytes(data)
    try:
        rows = read_prompt_file(path, object_text="shoes", action_text="pan")
    except InputError as err:
        assert "\n" not in str(err)
        return
    assert all(r.prompt for r in rows)


# -- edit steps in rows ----------------------------------------------------------------------


def test_csv_and_yaml_rows_carry_an_edit_step(tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text(
        "prompt,image,box,edit_prompt,edit_negative_prompt,edit_backend,edit_variants,edit_variant\n"
        'zoom in,a.jpg,"10,20,30,40; 50,60,7,8",a straw hat,blurry,diffusers,3,2\n'
        "pan left,b.jpg,,,,,,\n",
        encoding="utf-8",
    )
    first, second = read_prompt_file(path)
    assert second.edit is None
    assert first.edit == {
        "mask": {"mask": None, "boxes": ["10,20,30,40", "50,60,7,8"], "polygon": None,
                 "threshold": None, "invert": False},
        "request": {**first.edit["request"], "prompt": "a straw hat", "negative_prompt": "blurry",
                    "backend": "diffusers", "variants": 3},
        "variant": 2,
    }  # fmt: skip
    yml = tmp_path / "edits.yaml"
    yml.write_text(
        "- {prompt: zoom in, image: a.jpg, boxes: ['1,2,3,4', [5, 6, 7, 8]]}\n"
        "- {prompt: pan, image: a.jpg, mask: masks/m.png, mask_prompt: null}\n"
        "- {prompt: pan, image: a.jpg, mask_prompt: the dog, edit_prompt: a cat}\n"
    )
    rows = read_prompt_file(yml)
    assert rows[0].edit is not None and rows[0].edit["mask"]["boxes"] == ["1,2,3,4", "5,6,7,8"]
    assert rows[1].edit is not None and rows[1].edit["mask"]["mask"] == "masks/m.png"
    assert rows[2].edit is not None and rows[2].edit["request"]["mask_prompt"] == "the dog"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"prompt,box\na,\"1,2,3\"\n", "line 2: box '1,2,3' is not x,y,w,h"),
        (b"prompt,box\na,\"1,2,0,4\"\n", "line 2: box '1,2,0,4' has no area"),
        (b"prompt,edit_prompt\na,a hat\n", "line 2: edit_prompt set but no region"),
        (b"prompt,box,edit_variants\na,\"1,2,3,4\",many\n", "edit_variants 'many' is not a number"),
    ],
)  # fmt: skip
def test_bad_edit_cells_name_their_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        read_prompt_file(path)


def test_planning_checks_each_edit_and_fails_only_the_bad_rows(tmp_path: Path) -> None:
    from PIL import Image

    from reelrag.batch.plan import plan_rows
    from reelrag.settings import load_settings

    Image.new("RGB", (120, 80), (40, 90, 160)).save(tmp_path / "photo.png")
    (tmp_path / "masks").mkdir()
    mask = Image.new("L", (60, 40), 0)
    mask.paste(255, (10, 10, 30, 30))
    mask.save(tmp_path / "masks" / "half.png")  # drawn on a half-size copy: accepted
    Image.new("L", (50, 50), 255).save(tmp_path / "masks" / "square.png")  # another shape
    path = tmp_path / "rows.csv"
    path.write_text(
        "prompt,image,mask,box,edit_prompt\n"
        "ok mask,photo.png,masks/half.png,,\n"
        'ok box,photo.png,,"5,5,20,20",\n'
        "missing,photo.png,masks/nope.png,,\n"
        "wrong shape,photo.png,masks/square.png,,\n"
        'outside,photo.png,,"100,70,40,40",\n'
        'needs diffusers,photo.png,,"5,5,20,20",a hat\n',
        encoding="utf-8",
    )
    settings = load_settings({"workspace": tmp_path / "ws"}, environ={})
    plan = plan_rows(read_prompt_file(path), settings, backend="camera", base_dir=tmp_path)
    states = {p.row.prompt: (p.state, p.reason) for p in plan.rows}
    assert states["ok mask"][0] == states["ok box"][0] == "queued"
    assert "masks/nope.png does not exist" in states["missing"][1]
    assert "another shape" in states["wrong shape"][1]
    assert "reaches outside" in states["outside"][1]
    assert "cannot paint new content" in states["needs diffusers"][1]
    queued = next(p for p in plan.rows if p.row.prompt == "ok mask")
    edit = queued.request.options["edit"]
    assert edit["mask"]["mask"] == str(tmp_path / "masks" / "half.png")  # anchored to the file
    assert edit["request"]["seed"] == queued.request.seed  # a retried job edits the same way
