"""Test twins shipped for users' own tests, never product backends: :mod:`.remote` is a fake
remote video backend that behaves like a paid async API (submit, poll, idempotency tokens).
Register it with :func:`reelrag.testing.remote.register`.
"""
