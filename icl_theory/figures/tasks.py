"""Figures of 2510.03605 (task selection); see icl_theory.figures for the contract."""

from __future__ import annotations

FIGURES: dict = {}
