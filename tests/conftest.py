"""Test-wide settings: hypothesis draws the same examples in CI and new ones on a laptop."""

import os

from hypothesis import settings

# CI must be reproducible (a failure there can be replayed); locally, every run explores more.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
