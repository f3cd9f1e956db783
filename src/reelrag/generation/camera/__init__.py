"""The offline camera-motion engine (``generator.camera``): a prompt read into a motion plan
(:mod:`.prompt`, words in :mod:`.vocabulary`), frames resampled from the photo (:mod:`.warp`),
atmosphere effects (:mod:`.atmosphere`) and the generator that renders and encodes (:mod:`.render`).
"""
