"""The LanceDB index (``index.lancedb``, the default): table schema and records (:mod:`.schema`),
hybrid BM25 + vector queries (:mod:`.search`), object-store options (:mod:`.storage_options`)
and the backend (:mod:`.index`).
"""
