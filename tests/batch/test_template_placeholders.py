"""Unknown and unclosed placeholders are refused with one line naming the line or row, instead
of passing into the prompt."""

from __future__ import annotations

import pytest

from reelrag.batch.files import parse_records, parse_templates
from reelrag.errors import InputError


@pytest.mark.parametrize(
    ("bad", "words"),
    [("<product>", "unknown placeholder '<product>'"),
     ("<object_prompt on a table", "'<object_prompt' is not closed"),
     ("<action_prompt", "'<action_prompt' is not closed"),
     ("a kite action_prompt>", "'action_prompt>' is not closed"),
     ("< brand name >", "unknown placeholder")],
)  # fmt: skip
def test_refused_with_the_line(bad: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        parse_templates(f"fine <object_prompt>\nA photo of {bad}", "x", "y", source="p.txt")
    message = str(err.value)
    assert "p.txt line 2" in message and words in message and "\n" not in message


def test_rows_name_their_row() -> None:
    with pytest.raises(InputError, match="unknown placeholder '<product>'"):
        parse_records([(3, {"prompt": "Show <product> on <object_prompt>", "object": "a"})],
                      None, None)  # fmt: skip


def test_known_placeholders_comparisons_and_markup_pass() -> None:
    rows = parse_templates("<object_prompt> at 3 < 5 metres. <action_prompt>", "a kite", "pan")
    assert rows[0].prompt == "A kite at 3 < 5 metres. Pan"
    rows = parse_templates("A <b>bold</b> shot, <action_prompt>", None, "pan")
    assert rows[0].prompt == "A <b>bold</b> shot, pan"
