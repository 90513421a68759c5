"""Split a streaming Markdown reply into a settled part and the block still in progress.

Textual's Markdown.append is cheap for paragraphs, headings and tables (updated in place) but
remounts a whole list or blockquote and re-highlights a whole code fence on every call. So
while such a block is still arriving it stays in a cheap plain-text tail, and it is handed to
Markdown once, when it has ended. Paragraph text settles as it arrives.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_QUOTE = re.compile(r"^ {0,3}>")
# A partial line that might still turn into one of the held blocks above, or a table row.
_RISKY_START = re.compile(r"^\s*([-*+>|`~]|\d)")


class StreamSplitter:
    """Feed fragments with `feed`; `settled` tells how much of `source` is safe to render."""

    def __init__(self) -> None:
        self.source = ""
        self._scanned = 0  # index after the last complete line examined
        self._fence: str | None = None  # the opening fence while inside one
        self._hold: int | None = None  # start of the held block (list, quote or fence)
        self._hold_kind = ""
        self._prev_blank = True

    def feed(self, fragment: str) -> None:
        self.source += fragment
        while True:
            end = self.source.find("\n", self._scanned)
            if end < 0:
                break
            self._line(self._scanned, end + 1)
            self._scanned = end + 1

    def _line(self, start: int, end: int) -> None:
        line = self.source[start:end].rstrip("\n")
        blank = not line.strip()
        if self._fence is not None:
            stripped = line.strip()
            if stripped.startswith(self._fence[0] * len(self._fence)) and not stripped.strip(self._fence[0]):
                self._fence = None
                if self._hold_kind == "fence":
                    self._hold = None
            self._prev_blank = False
            return
        fence = _FENCE.match(line)
        if fence:
            self._fence = fence.group(1)
            if self._hold is None:
                self._hold, self._hold_kind = start, "fence"
        elif blank:
            pass  # a list or quote may go on after a blank line
        elif _LIST.match(line) or _QUOTE.match(line):
            if self._hold is None:
                self._hold, self._hold_kind = start, "list" if _LIST.match(line) else "quote"
        elif self._hold is not None and self._prev_blank and not line.startswith((" ", "\t")):
            self._hold = None  # a plain line after a blank line ends the list or quote
        self._prev_blank = blank

    @property
    def settled(self) -> int:
        """Index up to which `source` can go to Markdown without costly re-renders."""
        if self._hold is not None:
            return self._hold
        partial = self.source[self._scanned :]
        if partial and (len(partial) < 4 or _RISKY_START.match(partial)):
            return self._scanned
        return len(self.source)
