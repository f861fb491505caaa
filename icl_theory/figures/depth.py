"""Figures of 2510.03605 (depth); see icl_theory.figures for the contract."""

from __future__ import annotations

FIGURES: dict = {}
