"""The bundled offline text embedder (``embedder.minilm``): all-MiniLM-L6-v2 without torch.

:mod:`.encoder` is the numpy forward pass, :mod:`.onnx_runtime` the same graph on onnxruntime,
:mod:`.embedder` the backend that picks one.
"""

from reelrag.embeddings.minilm.embedder import MiniLMEmbedder, resolve_runtime
from reelrag.embeddings.minilm.encoder import MODEL_ID, bundled_model_path, resolve_model_path

__all__ = [
    "MODEL_ID",
    "MiniLMEmbedder",
    "bundled_model_path",
    "resolve_model_path",
    "resolve_runtime",
]
