"""Writing a figure's files: matplotlib on the Agg backend (no screen), the PNG, and the data as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_ALSO_PDF: ContextVar[bool] = ContextVar("also_pdf", default=False)


def pyplot():
    """matplotlib.pyplot on the Agg backend (figures are written to files; the machine may have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def with_pdf() -> Iterator[None]:
    """Inside this block ``save_png`` also writes the figure as a vector PDF beside the PNG (same name, .pdf)."""
    token = _ALSO_PDF.set(True)
    try:
        yield
    finally:
        _ALSO_PDF.reset(token)


def save_png(fig, path: Path) -> Path:
    """Lay out, write the PNG (120 dpi) — and inside ``with_pdf()`` the PDF beside it — and close the figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    if _ALSO_PDF.get():
        fig.savefig(path.with_suffix(".pdf"))
    pyplot().close(fig)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """The figure's data: one header row, then ``rows``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
