"""A folder of digest files, read recursively, in a stable order."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One version of a digest file: its path, raw bytes and content hash."""

    path: Path
    data: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content, which tells a changed file from an unchanged one."""
        return hashlib.sha256(self.data).hexdigest()


class FolderSource:
    """Every ``*.md`` file under a folder, oldest name first (digest names carry dates)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def files(self) -> Iterator[SourceFile]:
        """Yield each readable digest file; an unreadable one is logged and skipped."""
        if not self.directory.is_dir():
            logger.warning("digest folder missing path=%s", self.directory)
            return
        for path in sorted(self.directory.rglob("*.md")):
            if not path.is_file() or path.name.lower() == "readme.md":
                continue
            try:
                data = path.read_bytes()
            except OSError as error:
                logger.error("digest file unreadable path=%s error=%s", path, error)
                continue
            yield SourceFile(path=path, data=data)
