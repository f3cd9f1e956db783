from __future__ import annotations

from reelrag.errors import ContentFilteredError, NoMatchError, ReelragError, RetryableBackendError
from reelrag.types import Asset, GenerationRequest, SearchFilters, SearchHit, SearchRequest


def test_error_message_carries_hint_and_flags() -> None:
    err = NoMatchError("no image matches 'red shoes' (best 0.21 < 0.35)", hint="lower --min-score")
    assert str(err) == "no image matches 'red shoes' (best 0.21 < 0.35) (lower --min-score)"
    assert err.to_dict()["error"] == "NoMatchError"
    assert RetryableBackendError("slow down").retryable
    assert not ContentFilteredError("blocked").retryable
    assert ReelragError("x", retryable=True).retryable


def test_value_objects_roundtrip_through_json_dicts() -> None:
    asset = Asset("ab" * 32, "/p/cat.jpg", 640, 480, "JPEG", "a cat", ("cat", "pet"), "sidecar")
    hit = SearchHit(asset, 0.8, 0.7, 0.9, 1, "caption match")
    again = SearchHit.from_dict(hit.to_dict())
    assert again == hit
    assert again.asset.keywords == ("cat", "pet")
    assert asset.orientation == "landscape"
    request = SearchRequest("cat", filters=SearchFilters(orientation="portrait"))
    assert SearchRequest.from_dict(request.to_dict()) == request
    gen = GenerationRequest("zoom in", image="x.jpg", options={"move": "zoom-in"})
    assert GenerationRequest.from_dict(gen.to_dict()) == gen


def test_to_dict_equals_dataclasses_asdict_with_lists() -> None:
    """``to_dict`` skips asdict's deep copy, not its meaning: the same plain JSON values."""
    import dataclasses
    import json

    def reference(value: object) -> object:  # what to_dict returned before (asdict, then lists)
        if isinstance(value, dict):
            return {k: reference(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [reference(v) for v in value]
        return value

    asset = Asset("ab" * 32, "/p/a.jpg", 4, 3, "jpeg", caption="a cat", keywords=("pet", "cat"))
    hit = SearchHit(asset=asset, score=0.5, rank=1, why="caption 0.51")
    request = SearchRequest(query="cat", filters=SearchFilters(tag="pet"), limit=3)
    gen = GenerationRequest(prompt="a cat walks", image="x.jpg", options={"k": (1, 2), "n": None})
    for record in (asset, hit, request, gen):
        mine = record.to_dict()
        assert mine == reference(dataclasses.asdict(record))  # type: ignore[call-overload]
        assert json.loads(json.dumps(mine)) == mine  # lists, dicts and scalars only
    assert hit.to_dict()["asset"] is not hit.to_dict()["asset"]  # fresh dicts each call
