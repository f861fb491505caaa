"""notes/example.ipynb runs top to bottom (statement → exact value → check → figure) and is stored without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notes" / "example.ipynb"
KERNEL = "python3"


def _ensure_kernel() -> None:
    """Register the python3 kernel spec of this interpreter when Jupyter does not know it yet."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(user=True, kernel_name=KERNEL)


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return "".join(str(v) for key, v in output.get("data", {}).items() if key.startswith("text/"))


@pytest.fixture(scope="module")
def executed():
    _ensure_kernel()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, kernel_name=KERNEL, timeout=120,   # per cell: a hang fails, never blocks
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def test_the_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_notebook_runs_without_errors_and_shows_each_step(executed):
    notebook = executed
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = "\n".join(_text(o) for o in outputs)
    latex = "\n".join(o["data"].get("text/latex", "") for o in outputs if "data" in o)
    assert r"\textbf{base:gamma-star}" in latex and r"\Gamma" in latex          # the record rendered
    assert r"\frac{91}{80}" in latex or "91/80" in texts                       # Γ₁₁ = (1 + 1/20) + (7/4)/20
    assert "<CheckReport base:gamma-star: pass" in texts                         # prediction passes, control rejected
    assert any("image/png" in o.get("data", {}) for o in outputs)                # the figure
    assert "largest |z| over 15 points" in texts
