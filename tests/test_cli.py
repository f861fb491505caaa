"""The command line: list, show, verify (exit codes, JSON, globs, resume), figures, and one-line input errors."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icl_theory.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_names_every_foundation_record(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0
    for record_id in ("base:gamma-star", "base:lsa-cot-step", "synergy:lem-A.1", "synergy:prop-5.1"):
        assert record_id in out


def test_show_prints_source_convention_and_errata(capsys):
    status, out, _ = run(capsys, "show", "synergy:lem-A.1")
    assert status == 0
    assert "arXiv 2603.01293, Lemma A.1" in out
    assert "convention:" in out and "erratum:" in out


def test_show_latex_is_only_the_statement(capsys):
    status, out, _ = run(capsys, "show", "base:gamma-star", "--latex")
    assert status == 0
    assert out.strip().startswith(r"\Gamma = ") and r"\tilde{V}^{*} = " in out   # Γ first: what evaluate gives
    assert r"\Gamma" in out and "source" not in out


@pytest.mark.parametrize("argv, message", [
    (["show", "base:gamma-sta"], "unknown result id 'base:gamma-sta'; did you mean base:gamma-star?"),
    (["verify", "nothing:*"], "no result id matches 'nothing:*'"),
    (["verify", "--samples", "0"], "must be ≥ 1"),
    (["verify", "synergy:lem-A.1", "--samples", "1"], "--samples 1 buys fewer than 2 rows"),
    (["verify", "tts:thm-3.1", "--samples", "9600"], "use at least 9,601"),
    (["verify", "--seed", "x"], "expected a whole number"),
    (["verify", "--resume"], "--resume needs --out DIR"),
    (["verify", "--alpha", "2"], "--alpha must be between 0 and 1"),
    (["frobnicate"], "invalid choice"),
    (["figures", "no-such-figure"], "unknown figure 'no-such-figure'"),
    (["verify", "tts:thm-3.3", "--samples", "100000000000"], "over the limit of 30 min (--max-minutes)"),
    (["verify", "base:*", "--precision", "high", "--max-minutes", "0.001"], "the costliest: base:"),
    (["verify", "--max-minutes", "0"], "must be a positive finite number"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert message in err
    assert err.startswith("icl-theory: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_verify_json_reports_estimate_se_samples_and_rejected_control(capsys):
    status, out, _ = run(capsys, "verify", "synergy:lem-A.1", "--json", "--seed", "3")
    assert status == 0
    (report,) = json.loads(out)
    assert report["record_id"] == "synergy:lem-A.1" and report["passed"] and report["seed"] == 3
    prediction, control = report["prediction"], report["control"]
    assert prediction["outcome"] == "pass" and control["outcome"] == "fail"
    assert prediction["samples"] == 200_000 and prediction["standard_error"][0] > 0
    assert abs(prediction["estimate"][0] - prediction["predicted"][0]) <= prediction["z_critical"] * prediction[
        "standard_error"][0]


def test_verify_exits_1_when_a_check_is_inconclusive(capsys):
    # 80 samples cannot resolve the tolerance: not a pass, so the exit status is 1.
    status, out, _ = run(capsys, "verify", "synergy:lem-A.1", "--samples", "80")
    assert status == 1
    assert "[inconclusive]" in out and "0 of 1 checks passed" in out


def test_verify_resume_reuses_the_stored_report(capsys, tmp_path):
    status, first, _ = run(capsys, "verify", "base:lsa-cot-step", "base:wishart-second-moment", "--json",
                           "--out", str(tmp_path))
    assert status == 0
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert len(written) == 2
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in tmp_path.glob("*.json"))
    status, second, _ = run(capsys, "verify", "base:lsa-cot-step", "base:wishart-second-moment", "--json",
                            "--out", str(tmp_path), "--resume", "--timings")
    reused = json.loads(second)
    assert status == 0 and all(r.pop("reused") for r in reused)      # marked as read back, not rerun
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in reused] == json.loads(first)
    status, text, _ = run(capsys, "verify", "base:lsa-cot-step", "--out", str(tmp_path), "--resume")
    assert "reused" in text.splitlines()[0]


def test_json_is_byte_identical_for_the_same_seed(capsys):
    first = run(capsys, "verify", "synergy:lem-A.1", "--json", "--samples", "4000")[1]
    assert run(capsys, "verify", "synergy:lem-A.1", "--json", "--samples", "4000")[1] == first
    assert "seconds" not in first


def test_resume_recomputes_a_corrupt_or_foreign_result_with_a_warning(capsys, tmp_path):
    run(capsys, "verify", "synergy:lem-A.1", "--samples", "4000", "--out", str(tmp_path))
    (stored,) = tmp_path.glob("*.json")
    for damage in ('{"key": "trunc', '[1, 2]', '{"key": "other|seed=0", "report": {}}'):
        stored.write_text(damage)
        status, out, err = run(capsys, "verify", "synergy:lem-A.1", "--samples", "4000", "--out", str(tmp_path),
                               "--resume")
        assert status in (0, 1) and "warning: ignoring" in err and "reused" not in out
    (tmp_path / ".tmp-left-by-a-kill.json").write_text("{")
    run(capsys, "verify", "synergy:lem-A.1", "--samples", "4000", "--out", str(tmp_path), "--resume")
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_result_of_other_settings_is_not_reused(capsys, tmp_path):
    run(capsys, "verify", "synergy:lem-A.1", "--samples", "4000", "--out", str(tmp_path))
    status, out, _ = run(capsys, "verify", "synergy:lem-A.1", "--samples", "8000", "--out", str(tmp_path), "--resume")
    assert "reused" not in out and len(list(tmp_path.glob("*.json"))) == 2


@pytest.mark.parametrize("command", ["verify", "notes", "figures"])
def test_out_that_cannot_be_a_directory_is_one_line_and_exit_2(capsys, tmp_path, command):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    extra = ["synergy:lem-A.1"] if command == "verify" else (["no-figure-needed"] if False else [])
    for out, message in ((str(a_file), "exists and is not a directory"), ("", "needs a directory name"),
                         (str(a_file / "sub"), "cannot write to --out")):
        status, _, err = run(capsys, command, *extra, "--out", out)
        assert status == 2 and message in err and err.count("\n") == 1, err


def test_same_seed_same_report_for_any_number_of_workers(capsys):
    reports = []
    for workers in ("1", "2"):
        status, out, _ = run(capsys, "verify", "base:wishart-second-moment", "--json", "--samples", "40000",
                             "--workers", workers)
        report = json.loads(out)[0]
        reports.append((report["prediction"], report["control"]))
    assert reports[0] == reports[1]


def test_samples_count_draws_even_for_a_check_that_trains_models(capsys):
    # tts:thm-3.1 trains one model per 9,600 draws (300 SGD steps × 32 prompts): 40,000 draws are 5 models in
    # 5 batches, judged with Student's t (4 degrees of freedom); before, --samples counted models.
    status, out, _ = run(capsys, "verify", "tts:thm-3.1", "--samples", "40000", "--json")
    report = json.loads(out)[0]
    assert status in (0, 1) and report["prediction"]["samples"] == 5
    assert report["prediction"]["z_critical"] > 20   # t with 4 dof at α/(2·16), far above the normal 4.9


def test_version_and_python_dash_m():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "icl_theory", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("icl-theory ")


def test_list_fits_100_columns_unless_wide(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0 and max(len(line) for line in out.splitlines()) <= 100
    status, wide, _ = run(capsys, "list", "--wide")
    assert status == 0 and max(len(line) for line in wide.splitlines()) >= max(len(line) for line in out.splitlines())


ARGUMENTS = ["list", "show", "notes", "figures", "verify", "--samples", "--seed", "--workers", "--alpha", "--out",
             "--resume", "--json", "--latex", "--list", "--executor", "--scheduler", "--wide", "--quiet", "-1", "0",
             "2", "1e9", "nan", "x", "", "tts:thm-3.3", "nothing:*", "base:gamma-sta", "dask", "local",
             "__import__('os').system('echo pwned')", "--frobnicate"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(argv=st.lists(st.sampled_from(ARGUMENTS), max_size=5))
def test_the_argument_parser_never_tracebacks(argv):
    # Any argument list either parses or is refused with one line and exit 2 (no command runs here).
    from icl_errors import InputError
    from icl_theory.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except InputError as error:
        assert str(error) and "\n" not in str(error)
    except SystemExit as stop:      # --help / --version print and exit 0
        assert stop.code == 0


def test_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    # stdout is a pipe whose reader has gone (as after `| head -1`): the first write fails with EPIPE
    script = ("import os, sys\n"
              "read, write = os.pipe(); os.close(read); os.dup2(write, 1)\n"
              "sys.stdout = open(1, 'w', buffering=1)\n"
              "from icl_theory.cli import main\n"
              "status = main(['list'])\n"
              "sys.stderr.write(f'status {status}')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "Traceback" not in run.stderr and run.stderr.endswith("status 141"), run.stderr
