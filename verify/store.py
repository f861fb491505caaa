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
from verify.quantity import describe

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
    declaration = f"{describe(check.quantity)}|{getattr(check, 'tolerance', None)}|{check.control.description}"
    declared = hashlib.sha256(declaration.encode()).hexdigest()[:16]
    return f"{record.id}|seed={seed}|samples={samples}|alpha={alpha}|check={declared}|code={code_version()}"


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
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=TEMPORARY_PREFIX, suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "report": report}, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path
