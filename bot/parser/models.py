"""The digest data model: a ``Digest`` holds the ``Paper``s of one day."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

_VERSION = re.compile(r"v[0-9]+$")


class Paper(BaseModel):
    """One paper section of a digest, with Markdown escapes already undone."""

    model_config = ConfigDict(frozen=True)

    rank: int = Field(description="Position in the digest, starting at 1.")
    featured: bool = Field(default=False, description="The heading carries the 🏆 marker.")
    title_zh: str | None = Field(default=None, description="Chinese title, None when absent.")
    title_en: str
    url: str | None = None
    arxiv_id: str | None = None
    org: str
    score: float
    tags: list[str] = Field(default_factory=list)
    upvotes: int = 0
    stars: int = 0
    summary: str | None = None
    highlights: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """Identity of the paper across runs: the arXiv id without its version, else the URL.

        The version is dropped so that a paper linked as ``2602.13515v2`` in one run
        and ``2602.13515`` in another is still one card.
        """
        if self.arxiv_id:
            return _VERSION.sub("", self.arxiv_id)
        if self.url:
            return self.url
        # NOTE: a paper with neither id nor URL is keyed by its English title; the
        # parser rejects such sections, so this only serves hand-built models.
        return self.title_en

    @property
    def pdf_url(self) -> str | None:
        """Link to the PDF on arXiv, when the paper has an arXiv id."""
        if self.arxiv_id:
            return f"https://arxiv.org/pdf/{self.arxiv_id}"
        return None

    @property
    def abs_url(self) -> str | None:
        """Link to the paper's page: the arXiv abstract page, else the digest's URL."""
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return self.url


class Digest(BaseModel):
    """A daily digest: its date, heading title and papers in file order."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    title: str
    papers: list[Paper] = Field(default_factory=list)
