"""Content Credentials (C2PA): sign clips, edited images and reels; verify any file.

c2pa-python loads only when a file is signed or verified, so ``import reelrag`` stays light.
"""

from __future__ import annotations

from reelrag.provenance.certs import init_test_ca, local_ca_dir
from reelrag.provenance.outputs import sign_clip, sign_image, sign_reel
from reelrag.provenance.verify import Verification, verify_file

__all__ = [
    "Verification",
    "init_test_ca",
    "local_ca_dir",
    "sign_clip",
    "sign_image",
    "sign_reel",
    "verify_file",
]
