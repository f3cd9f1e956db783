"""Open image-to-video models on a local GPU through diffusers (``generator.diffusers``): the
model table (:mod:`.models`: LTX-Video, Wan, CogVideoX) and the generator (:mod:`.generator`).
"""
