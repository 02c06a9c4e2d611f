"""Shared settings for the core tests: they need nothing but corecors itself."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# A modest, reproducible run: the property tests check that request parsing
# never raises and never leaks, not how fast it is (no deadline), and they
# keep no example database in the working tree.
settings.register_profile(
    "corecors",
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# A longer hunt on demand: HYPOTHESIS_PROFILE=corecors-long pytest tests/core
settings.register_profile(
    "corecors-long", parent=settings.get_profile("corecors"), max_examples=5000,
    derandomize=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "corecors"))
