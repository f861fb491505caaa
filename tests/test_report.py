"""`icl-theory report`: report.md's content, the result store reused on a second run, one-line input errors, and
report.html opened in headless Chromium (it renders, its MathML is laid out, its images load, the console is silent),
with the same browser checks shown to fail on a broken page."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derivations import registry
from icl_theory import report
from icl_theory.cli import main
from icl_theory.figures import figures, illustrated_results

CHEAP = ("base:lsa-cot-step", "base:wishart-second-moment", "synergy:lem-A.1")   # 0.2 s each at 40,000 samples


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_every_figure_says_which_registered_results_it_illustrates():
    assert set(illustrated_results()) == set(figures())
    known = set(registry.ids())
    for name, ids in illustrated_results().items():
        assert ids and set(ids) <= known, name
    assert report.figure_names(["tts:claim-2", "base:gamma-star"]) == ["tts-overthinking"]
    assert report.figure_names(["base:gamma-star"]) == []


def test_report_md_states_each_result_with_its_numbers_and_reuses_the_store(capsys, tmp_path, monkeypatch):
    status, out, _ = run(capsys, "report", "--out", str(tmp_path), *CHEAP, "--samples", "40000", "--no-figures")
    assert status == 0, out
    assert "3 of 3 checks passed" in out and "0 of 3 statement part(s) shown as LaTeX source" in out
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert not (tmp_path / "figures").exists()
    for record_id in CHEAP:
        record = registry.get(record_id)
        assert f"## `{record_id}`: {record.title}" in md
        assert all(f"$$\n{part}\n$$" in md for part in record.latex.split(r",\qquad "))
        assert record.check.control.description in md
    lemma = md.split("## `synergy:lem-A.1`")[1]
    stored = json.loads(next(tmp_path.glob("synergy_lem-A.1-*.json")).read_text(encoding="utf-8"))["report"]
    (estimate,), (se,) = stored["prediction"]["estimate"], stored["prediction"]["standard_error"]
    assert f"| prediction | 2.0595 | {estimate:.6g} ± {se:.2g} | 40,000 |" in lemma   # the exact value is 2.0595
    assert "| negative control | 3.0245 |" in lemma and "rejected (as it must be)" in lemma
    assert r"\|z\|" in lemma                                  # a | inside a cell is escaped, the table stays whole
    assert "| prediction | the derived formula | max relative deviation" in md   # the deterministic check

    def no_new_runs(*args, **kwargs):
        raise AssertionError("the stored result should have been reused")

    monkeypatch.setattr("verify.store.run_check", no_new_runs)
    status, _, _ = run(capsys, "report", "--out", str(tmp_path), *CHEAP, "--samples", "40000", "--no-figures")
    assert status == 0 and (tmp_path / "report.md").read_text(encoding="utf-8") == md
    with pytest.raises(AssertionError, match="reused"):         # another setting is another key: it runs again
        main(["report", "--out", str(tmp_path), CHEAP[0], "--seed", "1", "--no-figures"])


@pytest.mark.parametrize("argv, message", [
    (["report", "base:gamma-star"], "the following arguments are required: --out"),
    (["report", "--out", "{file}", "base:gamma-star"], "exists and is not a directory"),
    (["report", "--out", "{dir}", "nothing:*"], "no result id matches 'nothing:*'"),
    (["report", "--out", "{dir}", "--alpha", "2"], "--alpha must be between 0 and 1"),
    (["report", "--out", "{dir}", "--samples", "0"], "must be ≥ 1"),
    (["report", "--out", "{dir}", "tts:thm-3.3", "--samples", "100000000000"], "over the limit of 30 min"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    (tmp_path / "a-file").write_text("x")
    argv = [a.format(file=tmp_path / "a-file", dir=tmp_path / "out") for a in argv]
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and message in err
    assert err.startswith("icl-theory: error: ") and err.count("\n") == 1


def test_a_statement_latex2mathml_cannot_take_is_shown_as_source_and_counted():
    math = report.MathCounter()
    assert math.block(r"\frac{a}{b}").startswith("<math") and math.fallbacks == 0
    assert math.block(r"x^") == r'<code class="latex">x^</code>'                  # a converter error
    assert math.block(r"\nosuchcommand x").startswith('<code class="latex">')        # passed through as text
    assert (math.total, math.fallbacks) == (3, 2)


# ---- the page in a browser ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (skipped where that is impossible)."""
    found = shutil.which("chromium")
    if found is None and shutil.which("apt-get"):
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):   # lists first
            subprocess.run(step, capture_output=True, timeout=900, env=quiet)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed and `apt-get install -y chromium` could not install it")
    return found


def browse(chromium: str, page: Path, *options: str) -> subprocess.CompletedProcess:
    """Open ``page`` headless (the DOM dump is taken after the load event) with the console logged to stderr."""
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", *options, page.resolve().as_uri()], capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    """Chromium logs every console message (error, warning or log) as `…:CONSOLE(line)] "text", source: …`."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE(\(\d+\)|:\d+)\]", line)]


def body_data(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom).group(1)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))


@pytest.fixture(scope="module")
def figure_report(tmp_path_factory) -> Path:
    """A report of two results, one with a cheap figure (depth-mp-bridge: exact numbers, 1.5 s)."""
    out = tmp_path_factory.mktemp("report")
    main(["report", "--out", str(out), "base:lsa-cot-step", "tp:error-limit", "--samples", "4000", "--quiet"])
    return out


def test_figures_are_written_as_png_and_pdf_and_linked(figure_report):
    md = (figure_report / "report.md").read_text(encoding="utf-8")
    assert "![depth-mp-bridge](figures/depth_mp_bridge.png)" in md and "([PDF](figures/depth_mp_bridge.pdf))" in md
    assert (figure_report / "figures" / "depth_mp_bridge.pdf").read_bytes().startswith(b"%PDF")
    assert (figure_report / "figures" / "depth_mp_bridge.png").read_bytes().startswith(b"\x89PNG")
    page = (figure_report / "report.html").read_text(encoding="utf-8")
    assert page.count('<img src="data:image/png;base64,') == 1 and "http" not in page.replace(
        "http://www.w3.org/1998/Math/MathML", "")                                  # self-contained: no URL to fetch


def test_report_html_renders_math_and_images_with_a_silent_console(chromium, figure_report):
    page = figure_report / "report.html"
    shown = browse(chromium, page, "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    data = body_data(shown.stdout)   # set by the page's own script in its load handler: the dump waited for load
    assert data == {"images": "1", "images-loaded": "true", "math-rendered": "true"}
    parts = sum(len(s) if isinstance(s := registry.get(i).statement(), (list, tuple)) else 1
                for i in ("base:lsa-cot-step", "tp:error-limit"))
    assert shown.stdout.count("<math ") == parts and "<mfrac>" in shown.stdout
    assert console_lines(shown.stderr) == []
    picture = browse(chromium, page, "--hide-scrollbars", f"--screenshot={figure_report / 'report.png'}",
                     "--window-size=1200,2000")
    assert picture.returncode == 0 and (figure_report / "report.png").stat().st_size > 10_000


def test_the_browser_checks_catch_a_broken_image_and_a_console_error(chromium, figure_report, tmp_path):
    page = (figure_report / "report.html").read_text(encoding="utf-8")
    broken = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,bm90IGEgcG5n", page)   # "not a png"
    broken = broken.replace("</body>", '<script>console.error("broken on purpose")</script></body>')
    (tmp_path / "broken.html").write_text(broken, encoding="utf-8")
    shown = browse(chromium, tmp_path / "broken.html", "--dump-dom")
    assert body_data(shown.stdout)["images-loaded"] == "false"
    assert any("broken on purpose" in line for line in console_lines(shown.stderr))
