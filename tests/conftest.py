"""Hypothesis profiles: 'ci' (derandomized: the same examples on every run, the default) and 'dev' (fresh random
examples, for hunting: HYPOTHESIS_PROFILE=dev python3 -m pytest)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
