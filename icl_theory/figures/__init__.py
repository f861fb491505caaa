"""Figures by name: each module of this package (except ``output``) exposes ``FIGURES``, a dict
name -> function(out_dir, executor) -> written paths, and ``ILLUSTRATES``, a dict name -> the ids of the registered
results the figure illustrates (the report places it with them, the notes pages link it).

A figure function writes its data (CSV or JSON, so the numbers outlive the picture) and a matplotlib PNG into
``out_dir``; the numbers come from derivations/ (exact) or verify/ (simulation), never from this package. Its Monte
Carlo points are a sweep (``verify.sweep``) run on ``executor``: the same numbers for any executor or worker count.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from icl_errors import InputError
from verify.executors import Executor, SerialExecutor

HELPER_MODULES = ("output",)   # modules of this package that define no figure
FigureFunction = Callable[[Path, Executor], list[Path]]


@cache
def _figure_modules() -> tuple:
    """Every module of this package that defines figures (alphabetical)."""
    return tuple(importlib.import_module(f"{__name__}.{info.name}")
                 for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
                 if info.name not in HELPER_MODULES)


def figures() -> dict[str, FigureFunction]:
    """Every figure of every module of this package (alphabetical by module)."""
    return {name: function for module in _figure_modules() for name, function in module.FIGURES.items()}


def illustrated_results() -> dict[str, tuple[str, ...]]:
    """Figure name -> the ids of the results it illustrates, for every figure."""
    return {name: ids for module in _figure_modules() for name, ids in module.ILLUSTRATES.items()}


def make_figures(names: Sequence[str], out_dir: str | Path, executor: Executor | None = None) -> list[Path]:
    """Write the named figures (all when ``names`` is empty) into ``out_dir``, their Monte Carlo sweeps run on
    ``executor`` (this process by default); the paths written."""
    known = figures()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(f"unknown figure {unknown[0]!r}; known: {', '.join(known) or 'none'}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in names or list(known):
        written += known[name](out, executor or SerialExecutor())
    return written
