"""The command line: list, show, verify (exit codes, JSON, globs, resume), figures, and one-line input errors."""

import json

import pytest

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
    assert out.strip().startswith(r"\tilde{V}^{*} = ")
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
    status, second, _ = run(capsys, "verify", "base:lsa-cot-step", "base:wishart-second-moment", "--json",
                            "--out", str(tmp_path), "--resume")
    assert status == 0 and json.loads(second) == json.loads(first)   # same seconds too: read back, not rerun


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
