"""Results on disk: one JSON file per check, written atomically, so an interrupted run (SIGINT or SIGKILL) loses
nothing it finished and a rerun with ``--resume`` skips what is done.

A result is keyed by everything that decides it: the record id, the seed, the sample size, the level, the check's
declaration (its quantity with every field, tolerance and control description) and the code version (a digest of
the source of derivations/ and verify/), so ``--resume`` never reuses a result of other code or other settings.
Writing: a temporary file in the same directory, fsync, rename over the target, fsync of the directory; files are
mode 0644. Temporary files left by a killed run are removed when the store is opened. An unreadable, truncated or
foreign file is reported (a warning on stderr) and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from icl_errors import InputError
from verify.executors import Executor
from verify.quantity import describe
from verify.runner import CheckReport, Progress, planned_samples, run_check

TEMPORARY_PREFIX = ".tmp-"


@cache
def code_version() -> str:
    """A digest of every Python source file of the two wings (derivations/, verify/): any change makes a new key."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in ("derivations", "verify"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_key(record: Any, *, seed: int, samples: int | None, alpha: float) -> str:
    """The key of one check's result: id, seed, samples, level, the check's declaration, the code version."""
    check = record.check
    declaration = (f"{describe(check.quantity)}|{getattr(check, 'tolerance', None)}|{getattr(check, 'bias', 0.0)}|"
                   f"{check.control.description}")
    declared = hashlib.sha256(declaration.encode()).hexdigest()[:16]
    return f"{record.id}|seed={seed}|samples={samples}|alpha={alpha}|check={declared}|code={code_version()}"


def stored_or_run(record: Any, store: ResultStore | None, *, resume: bool, seed: int, samples: int | None,
                  alpha: float, precision: str = "default", executor: Executor | None = None,
                  progress: Progress | None = None) -> CheckReport:
    """The check's report read back from ``store`` (with ``resume``, when a result of this key is there), else run
    now (verify.runner.run_check) and saved to ``store`` (when there is one). The key names the draws only when
    they differ from the record's own (``samples`` given, or a higher ``precision``), as ``icl-theory verify`` does."""
    planned = planned_samples(record, samples, precision, alpha)
    explicit = None if planned is None or (samples is None and precision == "default") else planned
    key = check_key(record, seed=seed, samples=explicit, alpha=alpha)
    stored = store.load(key) if (store and resume) else None
    if stored:
        return CheckReport.from_dict(stored)
    report = run_check(record, samples=explicit, seed=seed, executor=executor, alpha=alpha, progress=progress)
    if store:
        store.save(key, report.to_dict())
    return report


def writable_directory(directory: str | os.PathLike, option: str = "--out") -> Path:
    """``directory`` created if needed and proven writable, or InputError naming the option and the problem."""
    if not str(directory).strip():
        raise InputError(f"{option} needs a directory name, got an empty string")
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=path, prefix=TEMPORARY_PREFIX).close()
    except OSError as error:
        raise InputError(f"cannot write to {option} {path}: {error.strerror or error}") from None
    return path


class ResultStore:
    def __init__(self, directory: str | os.PathLike):
        self.directory = writable_directory(directory)
        for stale in self.directory.glob(f"{TEMPORARY_PREFIX}*"):
            stale.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        safe = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in key.split("|")[0])
        return self.directory / f"{safe}-{digest}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored result for ``key``, or None (absent, or unusable: then a warning and a recomputation)."""
        path = self._path(key)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("key") != key or "report" not in data:
                raise ValueError("not a result of this check")
            return data["report"]
        except (OSError, ValueError) as error:
            print(f"icl-theory: warning: ignoring {path} ({error}); the check is run again", file=sys.stderr)
            return None

    def save(self, key: str, report: dict[str, Any]) -> Path:
        return write_atomically(self._path(key), json.dumps({"key": key, "report": report}, indent=2))


def write_atomically(path: Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` atomically: a temporary file in the same directory, fsync, rename
    over the target, fsync of the directory; mode 0644. A reader sees the old file or the new one, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
