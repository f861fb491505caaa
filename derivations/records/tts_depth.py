"""Exact finite-size test-time theory of 2510.03605 at depth (exact k-step error, optimal depth): ids ``tts:*``."""

RECORDS: list = []
