"""Retrieval evaluation: labelled queries -> recall, precision of acceptance, refusals, and the
threshold that maximises an objective (``reelrag eval`` / ``reelrag calibrate``)."""
