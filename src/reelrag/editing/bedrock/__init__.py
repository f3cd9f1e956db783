"""In-painting on Amazon Bedrock (``editor.bedrock``): Stability AI Image Services by default
(:mod:`.stability`, bodies and rules in :mod:`.stability_bodies`), Nova Canvas when configured
(:mod:`.canvas` bodies, :mod:`.editor`).
"""
