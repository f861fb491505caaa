"""The ``icl-theory`` command line: list, show, verify and report registered results.

    icl-theory list
    icl-theory show ID [--latex]
    icl-theory notes [--out DIR]
    icl-theory latex [ID-or-glob ...] [--out FILE.tex]
    icl-theory figures [NAME ...] [--out DIR] [--workers W] [--executor {local,dask}] [--scheduler ADDRESS]
    icl-theory verify [ID-or-glob ...] [--samples N | --precision {default,high}] [--max-minutes M] [--seed S]
                      [--workers W] [--executor {local,dask}] [--scheduler ADDRESS] [--json] [--out DIR] [--resume]
    icl-theory report --out DIR [ID-or-glob ...] [--no-figures] [verify's run options]

Exit status: 0 when every check passes (prediction passes, negative control rejected), 1 when any does not,
2 for bad input (unknown id, bad option), with a one-line message and no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from icl_errors import InputError
from icl_theory import report as report_cli


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own status for usage errors)
        raise InputError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="icl-theory", description="Derive, print and check the theory of LSA in-context learning.")
    parser.add_argument("--version", action="version", version=f"icl-theory {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, epilog=f"example: {example}",
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    listing = command("list", "list the registered results (fits 100 columns; --wide for whole titles)",
                      "icl-theory list --wide")
    listing.add_argument("--wide", action="store_true", help="do not shorten the titles")
    show = command("show", "show one result: statement, source, assumptions, convention, check, errata",
                   "icl-theory show synergy:thm-B.1 --latex")
    show.add_argument("id", help="a result id (see `icl-theory list`)")
    show.add_argument("--latex", action="store_true", help="print only the statement's LaTeX")
    latex = command("latex", "write a compilable LaTeX document of the results (amsthm environments)",
                    "icl-theory latex 'synergy:*' --out synergy.tex")
    latex.add_argument("ids", nargs="*", help="result ids or globs (all results by default)")
    latex.add_argument("--out", default="icl-theory.tex", help="the .tex file to write")
    notes = command("notes", "write one Markdown page per result", "icl-theory notes --out notes")
    notes.add_argument("--out", default="notes", help="directory for the pages")
    figures = command("figures", "regenerate figures (data + PNG); all by default",
                      "icl-theory figures synergy-fig5-limit --out figures/")
    figures.add_argument("names", nargs="*", help="figure names (see `icl-theory figures --list`)")
    figures.add_argument("--out", default="figures", help="directory for the data and pictures")
    figures.add_argument("--list", action="store_true", help="list the figure names")
    add_executor_options(figures)
    verify = command("verify", "run the checks (all results by default): each prediction against the simulated "
                     "layer, and its negative control", "icl-theory verify 'synergy:*' --seed 1 --workers 2")
    verify.add_argument("ids", nargs="*", help="result ids or globs such as 'synergy:*'")
    verify.add_argument("--samples", type=_positive_int, help="Monte Carlo draws (prompts) per estimate (default: the "
                        "record's own, or sized from its exact variance)")
    verify.add_argument("--seed", type=_seed, default=0, help="root of every random stream")
    verify.add_argument("--precision", choices=("default", "high"), default="default", help="high: 100× the "
                        "draws of every Monte Carlo check, a 10× finer resolution (ignored where --samples is given)")
    verify.add_argument("--max-minutes", type=_positive_float, default=30.0, help="refuse, before starting, a run "
                        "with more draws than the records declare (--samples, --precision high) that a short pilot "
                        "projects to take longer than this")
    verify.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_executor_options(verify)
    verify.add_argument("--alpha", type=float, default=1e-4, help="significance level of each check")
    verify.add_argument("--json", action="store_true", help="print the reports as JSON (the same bytes for the same "
                        "seed; add --timings for the seconds each check took)")
    verify.add_argument("--timings", action="store_true", help="with --json: include each check's run time")
    verify.add_argument("--out", help="directory for one JSON result per check, written atomically")
    verify.add_argument("--resume", action="store_true", help="with --out: reuse results already written there")
    report_cli.add_parser(commands)   # after verify: it shares verify's run options
    return parser


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """--workers, --executor, --scheduler: where the Monte Carlo batches run (the numbers are the same for any)."""
    parser.add_argument("--workers", type=_positive_int, default=1, help="worker processes (same numbers for any)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local", help="where batches run: this "
                        "machine, or a Dask cluster (needs icl-theory[dask]; same numbers either way)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="with --executor dask: the scheduler address "
                        "(default: a LocalCluster of --workers processes, at least 2)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("icl-theory")
    except PackageNotFoundError:   # run from a checkout that was never installed
        return "unknown (not installed)"


LIST_WIDTH = 100


def _cmd_list(wide: bool) -> int:
    from derivations import registry

    for record in registry.records():
        line = f"{record.id:34s} {record.kind:11s} {record.title}"
        print(line if wide or len(line) <= LIST_WIDTH else line[:LIST_WIDTH - 1] + "…")
    return 0


def _cmd_show(record_id: str, latex_only: bool) -> int:
    from derivations import registry

    record = registry.get(record_id)
    if latex_only:
        print(record.latex)
        return 0
    print(f"{record.id} ({record.kind}): {record.title}")
    print(f"  source:      {record.source}")
    for extra in record.also_from:
        print(f"  also:        {extra}")
    print(f"  convention:  {record.convention.describe()}")
    for assumption in record.assumptions:
        print(f"  assumes:     {assumption}")
    print(f"  parameters:  {', '.join(f'{p.name} ({p.description})' for p in record.parameters)}")
    print(f"  returns:     evaluate(...) gives {record.evaluate_returns}")
    print(f"  statement:   {record.latex}")
    print(f"  check:       {type(record.check.quantity).__name__} on the simulated LSA; negative control: "
          f"{record.check.control.description}")
    for erratum in record.errata:
        print(f"  erratum:     {erratum}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from derivations import registry
    from verify.executors import make_executor
    from verify.budget import refuse_long_run
    from verify.store import ResultStore, stored_or_run

    if args.resume and args.out is None:
        raise InputError("--resume needs --out DIR (where earlier results were written)")
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be between 0 and 1, got {args.alpha}")
    records = registry.select(args.ids)
    store = ResultStore(args.out) if args.out is not None else None
    executor = make_executor(args.workers, args.executor, args.scheduler)
    progress = not args.quiet and sys.stderr.isatty()
    refuse_long_run(records, samples=args.samples, precision=args.precision, alpha=args.alpha, workers=args.workers,
                    seed=args.seed, minutes=args.max_minutes, announce=progress)
    reports = []
    for position, record in enumerate(records, 1):
        show = _progress_line(position, len(records), record.id)
        if progress:
            show()
        report = stored_or_run(record, store, resume=args.resume, seed=args.seed, samples=args.samples,
                               alpha=args.alpha, precision=args.precision, executor=executor,
                               progress=show if progress else None)
        reports.append(report)
        if progress and not args.json:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        if not args.json:
            mark = "ok  " if report.passed else "FAIL"
            when = "reused" if report.reused else f"{report.seconds:5.1f}s"
            print(f"{mark} {record.id:32s} [{report.status}] {when}")
            print(f"       prediction: {report.prediction.summary()}")
            print(f"       control:    {report.control.summary()}  <- {report.control_description}", flush=True)
    if progress:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps([r.to_dict(timings=args.timings) for r in reports], indent=2))
    else:
        passed = sum(r.passed for r in reports)
        print(f"{passed} of {len(reports)} checks passed with their negative controls rejected (seed {args.seed})")
    return 0 if all(r.passed for r in reports) else 1


def _progress_line(position: int, count: int, record_id: str) -> Callable[..., None]:
    """The progress line of one check on stderr: 'check 3 of 58: ID prediction ########............'."""
    def show(phase: str = "", done: int = 0, total: int = 1) -> None:
        filled = 20 * done // total
        bar = f" {phase} " + "#" * filled + "." * (20 - filled) if phase else " …"
        print(f"\r\033[Kcheck {position} of {count}: {record_id}{bar}", end="", file=sys.stderr, flush=True)

    return show


def _cmd_latex(args: argparse.Namespace) -> int:
    from pathlib import Path

    from derivations import registry
    from icl_theory.latex_document import document
    from verify.store import writable_directory

    path = Path(args.out)
    if not args.out.strip() or path.is_dir():
        raise InputError(f"--out must name a .tex file, got {args.out!r}")
    writable_directory(path.parent if str(path.parent) else ".")
    text = document(registry.select(args.ids))
    temporary = path.with_name(f".tmp-{path.name}")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    print(path)
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from icl_theory.figures import figures, make_figures

    if args.list:
        for name in figures():
            print(name)
        return 0
    from verify.executors import make_executor
    from verify.store import writable_directory

    executor = make_executor(args.workers, args.executor, args.scheduler)
    for path in make_figures(args.names, writable_directory(args.out), executor):
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return _cmd_list(args.wide)
        if args.command == "show":
            return _cmd_show(args.id, args.latex)
        if args.command == "notes":
            from icl_theory.notes import write_notes
            from verify.store import writable_directory

            for path in write_notes(writable_directory(args.out)):
                print(path)
            return 0
        if args.command == "figures":
            return _cmd_figures(args)
        if args.command == "latex":
            return _cmd_latex(args)
        if args.command == "report":
            return report_cli.command(args)
        return _cmd_verify(args)
    except InputError as error:
        print(f"icl-theory: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("icl-theory: interrupted (results already written are kept)", file=sys.stderr)
        return 130
    except BrokenPipeError:   # the reader went away (`icl-theory show ID | head -1`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
