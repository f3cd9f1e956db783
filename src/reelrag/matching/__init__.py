"""The match decision's evidence: what an asset's text says (strong: captions and metadata;
weak: file and folder names), how far a query's best caption stands out from unrelated ones,
and the match confidence that ``min_score`` cuts (see docs/retrieval.md)."""
