"""No machine paths in a report: the store's path, cache folders, the browser's executable or a
traceback's file names say nothing to a reader elsewhere and tell them about this machine. Every
absolute path in a report's text is shown as its file name ("/usr/bin/chromium" -> "chromium").

Applied to everything the templates print and to every text cell of the CSV files written beside
the report, so a new section cannot leak a path by forgetting to ask.
"""
from __future__ import annotations

import re

import pandas as pd

# A POSIX path: a slash not preceded by a word character, a dot, a colon or another slash (so
# "cpu/webgl", "1/2", "ms/step" and URLs stay), then at least two components ("/tmp" alone is a
# word, not a location on this machine).
_POSIX = re.compile(r"(?<![\w./:~\\-])/(?:[\w.@+~-]+/)+[\w.@+~-]*")
# A Windows path: a drive letter, then backslash-separated components.
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\(?:[^\\\s\"'<>|]+\\)*[^\\\s\"'<>|]*")
# A file URL names a path too.
_FILE_URL = re.compile(r"file://[^\s\"'<>]*")


def _name(match: re.Match) -> str:
    parts = [p for p in re.split(r"[\\/]", match.group(0)) if p and not p.endswith(":")]
    return parts[-1] if parts else "…"


def redact(text: str) -> str:
    """The text with every absolute path (POSIX, Windows, file://) replaced by its last component."""
    if not text or text.startswith("data:"):  # a figure's base64 holds slashes that are no path
        return text
    text = _FILE_URL.sub(_name, text)
    text = _WINDOWS.sub(_name, text)
    return _POSIX.sub(_name, text)


def redact_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every string cell redacted (numbers and other cells untouched)."""
    text_columns = [c for c in frame.columns
                    if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    if not text_columns:
        return frame
    return frame.assign(**{c: frame[c].map(lambda v: redact(v) if isinstance(v, str) else v) for c in text_columns})
