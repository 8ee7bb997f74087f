"""Slack mrkdwn: escaping of dynamic text and links whose label cannot break out."""

from __future__ import annotations

from urllib.parse import quote

# Slack reads ``<…>`` as a link, mention or command and ``&…;`` as an entity, so its
# formatting guide escapes these three characters and no others.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# ``|`` separates URL and label in ``<url|label>`` and Slack documents no escape for it,
# so a label gets the look-alike U+2223 DIVIDES in its place.
LABEL_BAR = "\u2223"
# Characters that would end the URL part of ``<url|label>`` early; they are
# percent-encoded like any other character that is not safe in a URL.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so Slack shows ``text`` as written."""
    return text.translate(_ESCAPES)


def link(url: str, label: str) -> str:
    """Return ``<url|label>`` with the label escaped and the URL unable to end early."""
    safe_url = quote(url, safe=_URL_SAFE).replace("&", "&amp;")
    safe_label = escape(label.replace("|", LABEL_BAR))
    return f"<{safe_url}|{safe_label}>"


def unescape(text: str) -> str:
    """Undo ``escape``: what a Slack client shows for escaped text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
