"""Figures by name: each figure module exposes ``FIGURES``, a dict name -> function(out_dir) -> written paths.

A figure function writes its data (CSV or JSON, so the numbers outlive the picture) and a matplotlib PNG into
``out_dir``; the numbers come from derivations/ (exact) or verify/ (simulation), never from this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from icl_errors import InputError

FIGURE_MODULES = ("icl_theory.figures.test_time", "icl_theory.figures.tasks", "icl_theory.figures.depth")
FigureFunction = Callable[[Path], list[Path]]


@cache
def figures() -> dict[str, FigureFunction]:
    """Every registered figure, in module order."""
    found: dict[str, FigureFunction] = {}
    for module in FIGURE_MODULES:
        found.update(importlib.import_module(module).FIGURES)
    return found


def make_figures(names: Sequence[str], out_dir: str | Path) -> list[Path]:
    """Write the named figures (all when ``names`` is empty) into ``out_dir``; the paths written."""
    known = figures()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(f"unknown figure {unknown[0]!r}; known: {', '.join(known) or 'none'}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in names or list(known):
        written += known[name](out)
    return written
