"""``icl-theory report --out DIR [ID ...]``: the verification of the selected results as DIR/report.md and a
self-contained DIR/report.html, with their figures under DIR/figures/ (PNG and PDF).

The face computes nothing: a result's numbers are its CheckReport (verify.runner), read back from DIR when
``verify --out DIR`` or an earlier report stored it under the same key (verify.store), else run now and stored there;
its statement is the record's SymPy statement in LaTeX, converted to MathML by ``latex2mathml`` (no network, no
script library: Chromium renders MathML natively; a statement the converter cannot take is shown as LaTeX source in <code>
and counted); its figures are the figure modules' own (icl_theory.figures), the PNGs embedded in the HTML as base64
data URIs. The page's one small script only marks <body> once every image has loaded (tests/test_report.py).

Exit status as ``verify``: 0 when every check passes with its negative control rejected, 1 otherwise, 2 for bad
input (one line, no traceback).
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from icl_errors import InputError

if TYPE_CHECKING:   # the command line imports this module for its parser: the heavy imports wait for the command
    from derivations.registry import Record
    from verify.executors import Executor
    from verify.runner import CheckReport
    from verify.statistics import Verdict

# Which results each figure illustrates (the one place this is said; tests/test_report.py checks every name is a
# figure of icl_theory.figures and every id a registered record).
# verify's options the report shares (the same argparse actions). Not --precision: the report keeps to the records'
# own draws unless --samples says otherwise, and then refuses a run projected over --max-minutes as verify does.
RUN_OPTIONS = ("--samples", "--seed", "--workers", "--executor", "--scheduler", "--alpha", "--quiet", "--max-minutes")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``report`` command, its run options taken from the ``verify`` command already added (the same objects)."""
    verify = subparsers.choices["verify"]
    text = ("verify the results (all by default; stored results in --out are reused) and write report.md, a "
            "self-contained report.html and the figures")
    parser = subparsers.add_parser("report", help=text, description=text,
                                   epilog="example: icl-theory report --out report/ 'tts:*' --samples 40000",
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("ids", nargs="*", help="result ids or globs such as 'synergy:*'")
    parser.add_argument("--out", required=True, help="directory for report.md, report.html, figures/ and the stored "
                        "check results (the same store as `verify --out DIR --resume`)")
    parser.add_argument("--no-figures", action="store_true", help="leave out the figures (they take minutes)")
    for action in verify._actions:
        if set(action.option_strings) & set(RUN_OPTIONS):
            parser._add_action(action)
    return parser


@dataclass(frozen=True)
class Figure:
    """One picture of a figure: its name, the PNG and (when written) the PDF, relative to the report directory."""

    name: str
    png: Path
    pdf: Path | None


@dataclass(frozen=True)
class Entry:
    """One result of the report: the record, its statement (LaTeX, one string per part), its check report, and the
    figures first shown with it."""

    record: Record
    statement: tuple[str, ...]
    report: CheckReport
    figures: tuple[Figure, ...]
    see_also: tuple[str, ...]   # figures that illustrate it but are shown with an earlier result


def command(args: argparse.Namespace) -> int:
    """Run (or read back) the checks, draw the figures, write report.md and report.html; the verify exit status."""
    from derivations import registry
    from verify.budget import refuse_long_run
    from verify.executors import make_executor
    from verify.store import ResultStore, code_version, stored_or_run, write_atomically

    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be between 0 and 1, got {args.alpha}")
    records = registry.select(args.ids)
    store = ResultStore(args.out)
    out = store.directory
    executor = make_executor(args.workers, args.executor, args.scheduler)
    progress = not args.quiet and sys.stderr.isatty()
    refuse_long_run(records, samples=args.samples, precision="default", alpha=args.alpha, workers=args.workers,
                    seed=args.seed, minutes=args.max_minutes, announce=progress)
    reports = []
    for position, record in enumerate(records, 1):
        if progress:
            print(f"\r\033[Kcheck {position} of {len(records)}: {record.id} …", end="", file=sys.stderr, flush=True)
        reports.append(stored_or_run(record, store, resume=True, seed=args.seed, samples=args.samples,
                                     alpha=args.alpha, executor=executor))
    names = [] if args.no_figures else figure_names([r.id for r in records])
    pictures: dict[str, list[Figure]] = {}
    for position, name in enumerate(names, 1):
        if progress:
            print(f"\r\033[Kfigure {position} of {len(names)}: {name} …", end="", file=sys.stderr, flush=True)
        pictures[name] = draw_figure(name, out, executor)
    if progress:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    entries = arrange(records, reports, pictures)
    settings = (f"seed {args.seed}, samples {args.samples if args.samples else 'as each record declares'}, "
                f"α = {args.alpha:g}, code {code_version()}")
    math = MathCounter()
    page = html_report(entries, settings, out, math)
    for path, text in ((out / "report.md", markdown_report(entries, settings)), (out / "report.html", page)):
        print(write_atomically(path, text))
    passed = sum(r.passed for r in reports)
    print(f"{passed} of {len(reports)} checks passed with their negative controls rejected; {len(names)} figure(s); "
          f"{math.fallbacks} of {math.total} statement part(s) shown as LaTeX source (not convertible to MathML)")
    return 0 if passed == len(reports) else 1


def figure_names(record_ids: Sequence[str]) -> list[str]:
    """The figures that illustrate any of ``record_ids``, in the order of icl_theory.figures."""
    from icl_theory.figures import illustrated_results

    chosen = set(record_ids)
    return [name for name, ids in illustrated_results().items() if chosen & set(ids)]


def draw_figure(name: str, out: Path, executor: Executor) -> list[Figure]:
    """Write figure ``name`` (data, PNG and PDF) into out/figures/; its pictures, paths relative to ``out``."""
    from icl_theory.figures import make_figures
    from icl_theory.figures.output import with_pdf

    with with_pdf():
        written = make_figures([name], out / "figures", executor)
    pictures = []
    for path in written:
        if path.suffix == ".png":
            pdf = path.with_suffix(".pdf")
            pictures.append(Figure(name, path.relative_to(out), pdf.relative_to(out) if pdf.exists() else None))
    return pictures


def arrange(records: Sequence[Record], reports: Sequence[CheckReport],
            pictures: dict[str, list[Figure]]) -> list[Entry]:
    """Each record with its statement and report; a figure is shown with the first selected result it illustrates."""
    from derivations.registry import statement_latex
    from icl_theory.figures import illustrated_results

    illustrates = illustrated_results()
    shown: set[str] = set()
    entries = []
    for record, report in zip(records, reports):
        mine = [name for name in pictures if record.id in illustrates[name]]
        first = [name for name in mine if name not in shown]
        shown.update(first)
        statement = record.statement()
        parts = statement if isinstance(statement, (list, tuple)) else [statement]
        entries.append(Entry(record, tuple(statement_latex(part) for part in parts), report,
                             tuple(f for name in first for f in pictures[name]),
                             tuple(name for name in mine if name not in first)))
    return entries


# ---- numbers as text ---------------------------------------------------------------------------------------------

def exact_text(verdict: Verdict, component: int = 0) -> str:
    return f"{verdict.predicted[component]:.10g}"


def estimate_text(verdict: Verdict, component: int = 0) -> str:
    return f"{verdict.estimate[component]:.6g} ± {verdict.standard_error[component]:.2g}"


def worst_component(verdict: Verdict) -> int:
    """The component with the largest |estimate − exact|/SE (the one the verdict turns on)."""
    scores = []
    for estimate, exact, se in zip(verdict.estimate, verdict.predicted, verdict.standard_error):
        gap = abs(estimate - exact)
        scores.append(gap / se if se > 0 else (float("inf") if gap > 0 else 0.0))
    return max(range(len(scores)), key=scores.__getitem__)


def is_deterministic(report: CheckReport) -> bool:
    return report.method == "deterministic"


def verdict_cells(report: CheckReport, verdict: Verdict) -> tuple[str, str, str, str]:
    """(exact value, estimate ± SE, n, test) of one verdict, in plain text."""
    if verdict.note:
        return exact_text(verdict), "—", f"{verdict.samples:,}", verdict.note
    if is_deterministic(report):
        formula = "the derived formula" if verdict is report.prediction else "the perturbed formula"
        return (formula, f"max relative deviation {verdict.estimate[0]:.2g}",
                f"{verdict.samples:,} instances", f"bound {verdict.tolerance:.0e}")
    worst = worst_component(verdict)
    where = f" (worst of {len(verdict.estimate)} components: #{worst + 1})" if len(verdict.estimate) > 1 else ""
    return (exact_text(verdict, worst) + where, estimate_text(verdict, worst), f"{verdict.samples:,}",
            f"|z| {verdict.z_max:.2f} vs z* {verdict.z_critical:.2f}; resolution {verdict.resolution:.2g} / "
            f"tolerance {verdict.tolerance:.2g}"
            + (f"; finite-size allowance {verdict.bias:.2g}" if verdict.bias else ""))


def control_outcome(verdict: Verdict) -> str:
    from verify.statistics import FAIL

    return "rejected (as it must be)" if verdict.outcome == FAIL else f"NOT rejected ({verdict.outcome})"


# ---- Markdown ----------------------------------------------------------------------------------------------------

def markdown_report(entries: Sequence[Entry], settings: str) -> str:
    """report.md: a summary table, then per result its statement ($$ LaTeX $$), numbers, verdicts and figures."""
    passed = sum(e.report.passed for e in entries)
    lines = ["# icl-theory report", "", f"{passed} of {len(entries)} checks passed with their negative controls "
             f"rejected ({settings}).", "", "| result | status | title |", "| --- | --- | --- |"]
    lines += [_md_row((f"[`{e.record.id}`](#{anchor(e.record.id)})", e.report.status, e.record.title)) for e in entries]
    for entry in entries:
        record, report = entry.record, entry.report
        lines += ["", f'<a id="{anchor(record.id)}"></a>', "", f"## `{record.id}`: {record.title}", "",
                  f"*{record.kind.capitalize()}*, {record.source}. Verdict: **{report.status}** "
                  f"({report.method})."]
        for latex in entry.statement:
            lines += ["", "$$", latex, "$$"]
        lines += ["", _md_row(("", "exact value", "estimate ± SE", "n", "test", "verdict")), "|" + " --- |" * 6]
        for role, verdict in (("prediction", report.prediction), ("negative control", report.control)):
            outcome = verdict.outcome if role == "prediction" else control_outcome(verdict)
            lines.append(_md_row((role, *verdict_cells(report, verdict), outcome)))
        lines += ["", f"Negative control: {report.control_description}."]
        for figure in entry.figures:
            pdf = f" ([PDF]({figure.pdf.as_posix()}))" if figure.pdf else ""
            lines += ["", f"![{figure.name}]({figure.png.as_posix()})", "", f"Figure `{figure.name}`{pdf}."]
        if entry.see_also:
            lines += ["", "See also the figure(s) " + ", ".join(f"`{n}`" for n in entry.see_also) + " above."]
    lines.append("")
    return "\n".join(lines)


def _md_row(cells: Sequence[str]) -> str:
    """One Markdown table row; a | inside a cell (|z|) is escaped so the table stays whole."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def anchor(record_id: str) -> str:
    return "r-" + "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in record_id)


# ---- HTML --------------------------------------------------------------------------------------------------------

UNCONVERTED = re.compile(r">\\[A-Za-z]")   # a command latex2mathml did not know, passed through as text: <mi>\foo</mi>


class MathCounter:
    """LaTeX to MathML (latex2mathml), counting the parts it could not convert (shown as LaTeX source instead)."""

    def __init__(self) -> None:
        self.total = 0
        self.fallbacks = 0

    def block(self, latex: str) -> str:
        from latex2mathml.converter import convert

        self.total += 1
        try:
            mathml = convert(latex, display="block")
        except Exception:   # latex2mathml's errors share no base class (MissingEndError, NoAvailableTokensError, …)
            mathml = None
        if mathml is None or UNCONVERTED.search(mathml):
            self.fallbacks += 1
            return f'<code class="latex">{html.escape(latex)}</code>'
        return mathml


STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2125; max-width: 1100px;
       margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin: 0 0 .3em; }
code { font: 0.92em ui-monospace, "DejaVu Sans Mono", monospace; }
.settings { color: #555; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #d4d8dc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; } .nb { white-space: nowrap; }
section.result { border: 1px solid #d4d8dc; border-left: 6px solid #888; border-radius: 4px; padding: .8em 1.1em;
                 margin: 1.4em 0; }
section.pass { border-left-color: #2e8540; } section.fail, section.control-not-rejected { border-left-color: #c62828; }
section.inconclusive { border-left-color: #d8a200; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; font-size: .8em;
         vertical-align: middle; background: #888; }
.badge.pass { background: #2e8540; } .badge.fail, .badge.control-not-rejected { background: #c62828; }
.badge.inconclusive { background: #b38600; }
.meta { color: #555; margin: 0 0 .4em; }
.statement { overflow-x: auto; padding: .2em 0; }
math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Math TeX Gyre", math; }  /* fonts with a MATH table */
math[display="block"] { font-size: 1.2em; margin: .4em 0; }
table.numbers { width: 100%; }
code.latex { display: block; white-space: pre-wrap; background: #fff4e5; padding: .3em .5em; }
figure { margin: 1em 0 .3em; } figure img { max-width: 100%; height: auto; border: 1px solid #e3e6e9; }
figcaption { color: #555; font-size: .9em; }
details { margin: .3em 0; } summary { cursor: pointer; color: #555; }
"""

# Sets data attributes on <body> once every image has loaded: data-images-loaded="true" when each <img> is complete
# with a natural width (a broken data URI has none), data-math-rendered="true" when each <math> has a laid-out box.
# tests/test_report.py reads them from Chromium's dumped DOM.
SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var maths = Array.prototype.slice.call(document.getElementsByTagName("math"));
  document.body.dataset.images = String(images.length);
  document.body.dataset.imagesLoaded = String(images.every(function (img) {
    return img.complete && img.naturalWidth > 0; }));
  document.body.dataset.mathRendered = String(maths.every(function (m) {
    return m.getBoundingClientRect().width > 0; }));
});
"""


def html_report(entries: Sequence[Entry], settings: str, out: Path, math: MathCounter) -> str:
    """report.html: one file (styles, script and PNGs inline; no network)."""
    passed = sum(e.report.passed for e in entries)
    rows = "".join(f'<tr><td><a href="#{anchor(e.record.id)}"><code>{html.escape(e.record.id)}</code></a></td>'
                   f'<td><span class="badge {e.report.status}">{e.report.status}</span></td>'
                   f"<td>{html.escape(e.record.title)}</td></tr>" for e in entries)
    body = "".join(_html_entry(entry, out, math) for entry in entries)
    fallback = (f" {math.fallbacks} of {math.total} statement parts could not be converted to MathML and are shown "
                f"as LaTeX source." if math.fallbacks else "")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>icl-theory report</title><style>{STYLE}</style><script>{SCRIPT}</script></head>\n<body>"
            f"<h1>icl-theory report</h1><p class=\"settings\">{passed} of {len(entries)} checks passed with their "
            f"negative controls rejected ({html.escape(settings)}).{fallback}</p>"
            f"<table><tr><th>result</th><th>status</th><th>title</th></tr>{rows}</table>\n{body}</body></html>\n")


def _html_entry(entry: Entry, out: Path, math: MathCounter) -> str:
    record, report = entry.record, entry.report
    formulas = "".join(math.block(latex) for latex in entry.statement)
    rows = []
    for role, verdict in (("prediction", report.prediction), ("negative control", report.control)):
        outcome = verdict.outcome if role == "prediction" else control_outcome(verdict)
        *numbers, test = verdict_cells(report, verdict)
        rows.append(f"<tr><th>{role}</th>" + "".join(f'<td class="num">{html.escape(c)}</td>' for c in numbers)
                    + f"<td>{'; '.join(f'<span class=nb>{html.escape(t)}</span>' for t in test.split('; '))}</td>"
                    f"<td>{html.escape(outcome)}</td></tr>")
    components = "" if is_deterministic(report) else _html_components(report)
    figures = "".join(_html_figure(figure, out) for figure in entry.figures)
    see_also = (f"<p class=\"meta\">See also the figure(s) {', '.join(f'<code>{n}</code>' for n in entry.see_also)}"
                f" above.</p>" if entry.see_also else "")
    return (f'<section class="result {report.status}" id="{anchor(record.id)}">'
            f'<h2><code>{html.escape(record.id)}</code> <span class="badge {report.status}">{report.status}</span> '
            f"{html.escape(record.title)}</h2>"
            f'<p class="meta">{html.escape(record.kind.capitalize())}, {html.escape(str(record.source))}; '
            f"checked by {html.escape(report.method)}.</p>"
            f'<div class="statement">{formulas}</div>'
            f'<table class="numbers"><tr><th></th><th>exact value</th><th>estimate ± SE</th><th>n</th><th>test</th>'
            f"<th>verdict</th>"
            f"</tr>{''.join(rows)}</table>"
            f'<p class="meta">Negative control: {html.escape(report.control_description)}.</p>'
            f"{components}{figures}{see_also}</section>\n")


def _html_components(report: CheckReport) -> str:
    """Every component of a vector-valued check (prediction and control), folded away."""
    prediction, control = report.prediction, report.control
    if len(prediction.estimate) < 2 or prediction.note or control.note or len(control.estimate) != len(
            prediction.estimate):
        return ""
    rows = "".join(f"<tr><td>{j + 1}</td><td class=\"num\">{exact_text(prediction, j)}</td>"
                   f"<td class=\"num\">{estimate_text(prediction, j)}</td><td class=\"num\">{exact_text(control, j)}"
                   f"</td><td class=\"num\">{estimate_text(control, j)}</td></tr>"
                   for j in range(len(prediction.estimate)))
    return (f"<details><summary>all {len(prediction.estimate)} components</summary><table><tr><th>#</th>"
            f"<th>exact</th><th>estimate ± SE</th><th>control value</th><th>control estimate ± SE</th></tr>{rows}"
            f"</table></details>")


def _html_figure(figure: Figure, out: Path) -> str:
    data = base64.b64encode((out / figure.png).read_bytes()).decode("ascii")
    pdf = f' (<a href="{html.escape(figure.pdf.as_posix())}">PDF</a>)' if figure.pdf else ""
    return (f'<figure><img src="data:image/png;base64,{data}" alt="figure {html.escape(figure.name)}">'
            f"<figcaption>Figure <code>{html.escape(figure.name)}</code>{pdf}; its data beside it in "
            f"<code>figures/</code>.</figcaption></figure>")
