"""Nothing the user ran is lost: a verify run killed with SIGKILL midway keeps every result it finished, leaves no
temporary file behind once resumed, and the resumed run reuses them and completes."""

import json
import signal
import subprocess
import sys
import time

IDS = ["base:lsa-cot-step", "base:wishart-second-moment", "base:gamma-star", "base:pretraining-min-error",
       "synergy:lem-A.1", "synergy:prop-5.1"]
CLI = "import sys; from icl_theory.cli import main; sys.exit(main(sys.argv[1:]))"


def _verify(out, *extra):
    return [sys.executable, "-c", CLI, "verify", *IDS, "--out", str(out), *extra]


def test_kill_midway_then_resume(tmp_path):
    run = subprocess.Popen(_verify(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*.json")) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()
    finished = sorted(tmp_path.glob("*.json"))
    assert finished, "the run was killed before it finished any check"
    for path in finished:                                    # every file on disk is whole
        assert json.loads(path.read_text())["report"]["record_id"] in IDS

    resumed = subprocess.run(_verify(tmp_path, "--resume"), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stdout.count("reused") >= len(finished)
    assert len(list(tmp_path.glob("*.json"))) == len(IDS)
    assert not list(tmp_path.glob(".tmp-*"))
