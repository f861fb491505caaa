"""Results on disk: one JSON file per (record, seed, samples, level), written atomically, so an interrupted run loses
nothing it finished and a rerun with ``--resume`` skips what is done."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class ResultStore:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        safe = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in key.split("|")[0])
        return self.directory / f"{safe}-{digest}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.exists():
            return None
        with path.open() as fh:
            data = json.load(fh)
        return data if data.get("key") == key else None

    def save(self, key: str, report: dict[str, Any]) -> Path:
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump({"key": key, **report}, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path
