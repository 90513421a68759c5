"""Cut a streaming Markdown reply into units that are cheap to render.

Textual's Markdown.append is cheap for paragraphs, headings and tables (updated in place) but
remounts a whole list or blockquote and re-highlights a whole code fence on every call, so a
long list or fence makes each append slower than the last. Here:

* "flow" text (paragraphs, headings, tables) is handed out as it arrives, to be appended;
* a list, quote or fence is held back while it arrives (the view shows it as plain text) and
  handed out as a "block" once it ends, or in parts of LIST_PART items / FENCE_PART lines, so
  no single render is large. A fence cut into parts is closed and reopened with its info
  string; `joins_above` / `joins_below` let the view draw the parts as one block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_QUOTE = re.compile(r"^ {0,3}>")
# A partial line that might still become a list, quote, fence or table row.
_RISKY_START = re.compile(r"^\s*([-*+>|`~]|\d)")

LIST_PART = 6
FENCE_PART = 30


@dataclass
class Unit:
    kind: str  # "flow" | "block"
    text: str
    joins_above: bool = False
    joins_below: bool = False


class StreamSplitter:
    def __init__(self, list_part: int = LIST_PART, fence_part: int = FENCE_PART) -> None:
        self.source = ""
        self.list_part = list_part
        self.fence_part = fence_part
        self._scanned = 0  # after the last complete line examined
        self._emitted = 0  # source before this has been handed out
        self._units: list[Unit] = []
        self._hold = ""  # "", "list", "quote" or "fence"
        self._fence = ""  # the fence marker while inside one (also inside a list)
        self._fence_open = ""  # the opening line, to reopen a fence cut into parts
        self._count = 0  # items or lines in the current part
        self._parts = 0  # parts already handed out of the held block
        self._prev_blank = True

    # -- input -------------------------------------------------------------------------------
    def feed(self, fragment: str) -> None:
        self.source += fragment
        while (end := self.source.find("\n", self._scanned)) >= 0:
            self._line(self._scanned, end + 1)
            self._scanned = end + 1

    def take(self, final: bool = False) -> list[Unit]:
        """Units ready to render; with final=True everything left, held or not."""
        if final:
            if self._hold:
                self._block(len(self.source), last=True)
                self._hold = ""
            self._flow(len(self.source))
        elif not self._hold:
            partial = self.source[self._scanned :]
            risky = partial and (len(partial) < 4 or _RISKY_START.match(partial))
            self._flow(self._scanned if risky else len(self.source))
        units, self._units = self._units, []
        return units

    @property
    def pending(self) -> str:
        """Text not handed out yet: the block in progress, shown cheaply meanwhile."""
        return self.source[self._emitted :]

    # -- scanning ----------------------------------------------------------------------------
    def _line(self, start: int, end: int) -> None:
        line = self.source[start:end].rstrip("\n")
        blank = not line.strip()
        if self._fence:
            self._fence_line(line, end)
            return
        fence = _FENCE.match(line)
        indented = line.startswith((" ", "\t"))
        if fence and self._hold and indented:
            self._fence = fence.group(1)  # a fence inside a list item stays with the list
            return
        if self._hold and not blank:
            ended = (self._prev_blank and not indented) or fence
            top_item = _LIST.match(line) and not indented
            if self._hold == "list" and top_item:
                ended = False
                self._count += 1
                if self._count > self.list_part:
                    self._block(start, last=False)
                    self._count = 1
            elif self._hold == "quote" and _QUOTE.match(line):
                ended = False
            if ended:
                self._block(start, last=True)
                self._hold = ""
        if not self._hold and not blank:
            if fence:
                self._start_hold("fence", start)
                self._fence, self._fence_open = fence.group(1), line
            elif _LIST.match(line) or _QUOTE.match(line):
                self._start_hold("list" if _LIST.match(line) else "quote", start)
        self._prev_blank = blank

    def _fence_line(self, line: str, end: int) -> None:
        marker = self._fence
        stripped = line.strip()
        closes = stripped.startswith(marker) and not stripped.strip(marker[0])
        if self._hold != "fence":  # fenced code inside a list item
            if closes:
                self._fence = ""
            return
        if closes:
            self._fence = ""
            self._block(end, last=True)
            self._hold = ""
            self._prev_blank = False
            return
        self._count += 1
        if self._count >= self.fence_part:
            self._block(end, last=False)
            self._count = 0

    def _start_hold(self, kind: str, start: int) -> None:
        self._flow(start)
        self._hold, self._count, self._parts = kind, 1 if kind != "fence" else 0, 0

    # -- output ------------------------------------------------------------------------------
    def _flow(self, upto: int) -> None:
        if upto > self._emitted:
            text = self.source[self._emitted : upto]
            self._emitted = upto
            if self._units and self._units[-1].kind == "flow":
                self._units[-1].text += text
            else:
                self._units.append(Unit("flow", text))

    def _block(self, upto: int, last: bool) -> None:
        if upto <= self._emitted:
            return
        text = self.source[self._emitted : upto]
        self._emitted = upto
        if self._hold == "fence":
            if self._parts:
                text = f"{self._fence_open}\n{text}"
            if not last:
                text += self._fence.strip() + "\n"
        self._units.append(Unit("block", text, joins_above=self._parts > 0, joins_below=not last))
        self._parts += 1
