"""Test twins shipped for users' own tests (fake backends), never product backends."""
