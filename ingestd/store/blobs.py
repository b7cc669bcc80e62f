"""Content-addressed raw message store: sha256 -> bytes, never modified.

A blob is written to a temporary file in the store, fsynced, renamed into place and its folder
fsynced, so a crash leaves either the whole blob or nothing under its name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"
        self._made: set[str] = set()         # "ab/cd" folders known to exist: no mkdir per
        #                                      blob (a short string each: 65,536 at most)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        try:
            return self._put(data)
        except OSError:
            self._made.clear()               # the store may have been unmounted: look again
            raise

    def _put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        for key, folder in ((sha[:4], target.parent), ("tmp", self.tmp)):
            if key not in self._made:
                folder.mkdir(parents=True, exist_ok=True, mode=0o750)
                self._made.add(key)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix=sha[:12] + ".")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp_name, 0o440)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()
