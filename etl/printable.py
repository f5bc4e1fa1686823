"""Text from a file made safe to print in a one-line message.

A header cell or value may hold a line break (which would split a "one-line" error), an
escape sequence (which a terminal would obey) or invisible direction marks. Such
characters are shown as Python escapes (`\\r`, `\\x1b`, `\\u202e`); everything else,
accents and other scripts included, is left as it is.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """`text` with control, line-separator, format and undecodable characters escaped."""
    if text.isprintable() and text.isascii():
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
