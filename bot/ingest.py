"""Digest ingestion: source files are parsed, stored and planned for delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.delivery.planner import Planner
from bot.errors import DigestParseError
from bot.parser.markdown import date_in_path, parse_digest
from bot.parser.models import Digest
from bot.source.folder import FolderSource, SourceFile
from bot.store import Store

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What one scan did: digests stored, files rejected, cards queued."""

    digests: list[Digest] = field(default_factory=list)
    errors: list[DigestParseError] = field(default_factory=list)
    new_cards: int = 0


class Ingestor:
    """Pick up new or changed digest files and turn each into stored papers and queued cards."""

    def __init__(self, *, source: FolderSource, store: Store, planner: Planner,
                 clock: Clock) -> None:
        self._source = source
        self._store = store
        self._planner = planner
        self._clock = clock

    async def scan(self) -> IngestReport:
        """Process every file not seen in its current version; one bad file stops no other."""
        report = IngestReport()
        for file in self._source.files():
            path = str(file.path)
            if await self._store.sources.sha256(path) == file.sha256:
                continue
            try:
                digest = _parse(file)
            except DigestParseError as error:
                logger.error("digest skipped: %s", error)
                report.errors.append(error)
                await self._store.sources.record(path, sha256=file.sha256, digest_date=None,
                                                 error=str(error), now=self._clock())
                continue
            await self._store.digests.save(digest, source=path, now=self._clock())
            report.new_cards += await self._planner.plan(digest)
            await self._store.sources.record(path, sha256=file.sha256, digest_date=digest.date,
                                             error=None, now=self._clock())
            report.digests.append(digest)
            logger.info("digest stored date=%s papers=%d path=%s", digest.date,
                        len(digest.papers), path)
        return report


def _parse(file: SourceFile) -> Digest:
    try:
        text = file.data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DigestParseError(
            f"not valid UTF-8 (byte {error.start}); save the file as UTF-8",
            path=file.path) from None
    return parse_digest(text, source=file.path, fallback_date=date_in_path(file.path))
