"""Simulated quantities for the task results of 2510.03605 (merged into verify.quantities by name)."""

from __future__ import annotations

MONTE_CARLO: dict = {}
DETERMINISTIC: dict = {}
