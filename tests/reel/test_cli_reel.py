"""`reelrag reel`, `reelrag verify` and `reelrag provenance init` through the CLI."""

from __future__ import annotations

from pathlib import Path

import yaml

from clirunner import run_cli


def _storyboard(tmp_path: Path, photos: list[Path]) -> Path:
    shots = [
        {
            "image": str(p),
            "action": "camera pans left",
            "duration": 1.0,
            "title": f"Shot {i}",
            "transition": "crossfade",
        }
        for i, p in enumerate(photos, 1)
    ]
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump({"title": "CLI reel", "size": 144, "shots": shots}))
    return path


def test_reel_then_verify_lists_every_photo(sample_photos: Path, tmp_path: Path) -> None:
    photos = sorted(sample_photos.rglob("*.jpg"))[:3]
    ws, board = tmp_path / "ws", _storyboard(tmp_path, photos)
    code, out = run_cli(
        ws, "reel", str(board), "--aspect", "16:9,9:16", "--out", str(tmp_path / "r.mp4")
    )
    assert code == 0, out
    assert out.count("wrote") == 2 and "signed" in out  # paths may wrap at the console's width
    assert (tmp_path / "r.16x9.mp4").is_file() and (tmp_path / "r.9x16.mp4").is_file()
    for name in ("r.16x9.mp4", "r.9x16.mp4"):
        code, out = run_cli(ws, "verify", str(tmp_path / name))
        assert code == 0 and out.startswith("Trusted")
        assert all(f"source photo: {p.name}" in out for p in photos)
    code, out = run_cli(
        ws, "reel", str(board), "--out", str(tmp_path / "r.16x9.mp4"), "--aspect", "16:9"
    )
    assert code == 2 and "already exists" in out and "--overwrite" in out


def test_no_sign_and_tampering_fail_verification(sample_photos: Path, tmp_path: Path) -> None:
    ws, board = tmp_path / "ws", _storyboard(tmp_path, sorted(sample_photos.rglob("*.jpg"))[:2])
    code, out = run_cli(ws, "reel", str(board), "--no-sign", "--out", str(tmp_path / "u.mp4"))
    assert code == 0 and "unsigned" in out
    code, out = run_cli(ws, "verify", str(tmp_path / "u.mp4"))
    assert code == 1 and "Unsigned" in out
    run_cli(ws, "reel", str(board), "--out", str(tmp_path / "s.mp4"))
    data = bytearray((tmp_path / "s.mp4").read_bytes())
    data[data.find(b"mdat") + 500] ^= 0x55
    (tmp_path / "t.mp4").write_bytes(bytes(data))
    code, out = run_cli(ws, "verify", str(tmp_path / "t.mp4"), "--json")
    assert code == 1 and '"state": "Invalid"' in out


def test_provenance_init_and_bad_storyboard(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path / "ws", "provenance", "init")
    assert code == 0 and "UNTRUSTED" in out
    assert (tmp_path / "ws" / "provenance" / "signer.pem").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("shots:\n  - object: cat\n    duration: -1\n")
    code, out = run_cli(tmp_path / "ws", "reel", str(bad))
    assert code == 2 and "shot 1: duration must be between" in out
