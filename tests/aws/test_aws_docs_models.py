"""docs/aws.md names, for every AWS backend, the model used by default, its lifecycle and the page
documenting its request body; the video table carries a source for each of its facts."""

from __future__ import annotations

from pathlib import Path

from reelrag.captioning.bedrock import DEFAULT_MODEL as CAPTION_MODEL
from reelrag.embeddings.nova import MODEL_ID as NOVA_MODEL
from reelrag.embeddings.titan import MODEL_ID as TITAN_MODEL
from reelrag.generation.bedrock.video_models import VIDEO_MODELS as MODELS
from reelrag.settings import load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "aws.md"


def _row(text: str, model: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith("|") and f"`{model}`" in line]
    assert rows, f"docs/aws.md has no table row for {model}"
    return rows[0]


def test_every_default_aws_model_has_a_row_with_lifecycle_and_body_page() -> None:
    defaults = load_settings({}, environ={})
    text = DOCS.read_text()
    for model in (
        defaults.bedrock_edit_model,
        defaults.bedrock_video_model,
        NOVA_MODEL,
        TITAN_MODEL,
        CAPTION_MODEL,
    ):
        cells = _row(text, model).split("|")
        assert any(w in cells[3] for w in ("Active", "Legacy")), model  # lifecycle column
        assert "https://docs.aws.amazon.com/" in cells[4], model  # the request-body page


def test_the_video_table_names_a_source_for_each_fact() -> None:
    ray2 = MODELS["luma.ray-v2:0"]
    assert not ray2.capabilities.image_to_video
    assert ray2.sources["image input"].startswith("none documented")
    assert all(source for source in ray2.sources.values())
    assert any("pricing" in source for source in ray2.sources.values())
    for spec in MODELS.values():
        assert spec.sources, spec.id
