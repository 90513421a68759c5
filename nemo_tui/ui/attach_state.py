"""What /attach keeps between calls, without Textual: batches, chips, progress, arguments.

`AttachBook` remembers which /attach call (batch) each pending attachment came from, so a
folder of 300 files shows as one chip, and the skipped-files summary of the last call.
`AttachJob` is shared with the thread worker: the thread writes progress figures, the UI
polls them on a timer (no call per file across threads) and sets `cancel` to stop it.
`split_args` and `complete_arg` parse the `/attach` argument text the way a shell would.
"""

from __future__ import annotations

import os
import shlex
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_tui.core.attach_read import human_size
from nemo_tui.core.attachments import AttachLimits, AttachResult
from nemo_tui.core.conversation import Attachment

GROUP_OVER = 3  # a batch with more pending files than this shows as one chip
LABEL_WIDTH = 48


# --- arguments ------------------------------------------------------------------------------


def split_args(text: str) -> list[str]:
    """Shell-like words: quotes and backslashes keep spaces; ValueError on an open quote."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def _last_word(text: str) -> tuple[int, str, str]:
    """(start of the last word, its value with quotes undone, open quote or "")."""
    start, value, quote, escaped, in_word = len(text), [], "", False, False
    for i, c in enumerate(text):
        if escaped:
            value.append(c)
            escaped = False
        elif quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                escaped = True
            else:
                value.append(c)
        elif c.isspace():
            in_word, value = False, []
            start = len(text)
        else:
            if not in_word:
                in_word, start = True, i
            if c in "'\"":
                quote = c
            elif c == "\\":
                escaped = True
            else:
                value.append(c)
    return start, "".join(value), quote


def quote_arg(value: str) -> str:
    """A path as one shell word; a folder's trailing '/' stays outside any quotes."""
    if value and all(c.isalnum() or c in "/._-~+,:@%=" for c in value):
        return value
    return shlex.quote(value)


@dataclass(frozen=True)
class Completion:
    text: str  # the new prompt text
    candidates: list[str]  # what matched (shown when there are several)


def complete_arg(text: str, candidates_for) -> Completion | None:  # noqa: ANN001
    """Complete the last word of `/attach …` with `candidates_for(partial) -> [paths]`.

    One candidate replaces the word (a file gets a trailing space); several insert their
    common prefix. None when nothing matches.
    """
    start, partial, _ = _last_word(text)
    found = candidates_for(partial)
    if not found:
        return None
    if len(found) == 1:
        word = found[0]
        tail = "" if word.endswith("/") else " "
    else:
        word = os.path.commonprefix(found)
        tail = ""
        if len(word) <= len(partial):
            return Completion(text, found)  # nothing to add: just show the choices
    return Completion(text[:start] + quote_arg(word) + tail, found)


# --- batches and chips ------------------------------------------------------------------------


@dataclass(eq=False)
class AttachBatch:
    """One /attach call. It holds no attachment (they are freed once sent and gone)."""

    label: str  # what was typed, shortened: "src/", "a.py b.py", "src/**/*.py"
    result: AttachResult  # its skips and errors; `attachments` emptied
    expanded: bool = False  # a grouped chip opened with Enter


@dataclass(frozen=True)
class ChipRow:
    """One line of the attachments bar: a file, or a whole batch when it is large."""

    key: str
    label: str
    size: int
    tokens: int | None  # None while not counted (or counting failed) for some file
    files: int
    notice: str | None
    members: tuple[Attachment, ...]
    group: AttachBatch | None = None  # set for a batch chip
    depth: int = 0  # 1 for a file shown under its opened batch


def shorten(text: str, width: int = LABEL_WIDTH) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]


def batch_label(paths: list[str], cwd: Path) -> str:
    shown = []
    for raw in paths:
        full = os.path.join(str(cwd), os.path.expanduser(raw))
        shown.append(raw + "/" if os.path.isdir(full) and not raw.endswith("/") else raw)
    return shorten(" ".join(shown))


def total_tokens(attachments: list[Attachment] | tuple[Attachment, ...]) -> int | None:
    if any(a.tokens is None for a in attachments):
        return None
    return sum(a.tokens or 0 for a in attachments)


class AttachBook:
    """Which batch each attachment came from, and the last call's result."""

    MAX_SHOWN_MEMBERS = 200

    def __init__(self) -> None:
        self._batch_of: dict[int, tuple[weakref.ref[Attachment], AttachBatch]] = {}
        self.last: AttachBatch | None = None
        self.job: AttachJob | None = None
        self.exact = True  # the last count used an exact tokenizer (else "≈")
        self.timer: Any = None  # the UI's progress redraw timer while a job runs
        self.gauge_busy = False  # a gauge count is running in a thread
        self.gauge_wanted = False  # and another was asked for meanwhile
        self.memo: tuple[Any, Any] | None = None  # (key, Accounting) of the last heavy count

    def add(self, batch: AttachBatch, attachments: list[Attachment]) -> None:
        for att in attachments:
            self._batch_of[id(att)] = (weakref.ref(att), batch)
        self.last = batch

    def batch_of(self, att: Attachment) -> AttachBatch | None:
        entry = self._batch_of.get(id(att))
        if entry is None or entry[0]() is not att:
            return None
        return entry[1]

    def prune(self) -> None:
        """Forget attachments that no longer exist anywhere."""
        for key in [k for k, (ref, _) in self._batch_of.items() if ref() is None]:
            del self._batch_of[key]

    def rows(self, pending: list[Attachment]) -> list[ChipRow]:
        """Chips for the pending attachments, in order; large batches as one chip."""
        pending_by_batch: dict[int, list[Attachment]] = {}
        for att in pending:
            batch = self.batch_of(att)
            if batch is not None:
                pending_by_batch.setdefault(id(batch), []).append(att)
        rows: list[ChipRow] = []
        done: set[int] = set()
        for att in pending:
            batch = self.batch_of(att)
            members = pending_by_batch.get(id(batch), []) if batch is not None else []
            if batch is None or len(members) <= GROUP_OVER:
                rows.append(file_row(att))
                continue
            if id(batch) in done:
                continue
            done.add(id(batch))
            notices = sum(1 for a in members if a.notice)
            rows.append(ChipRow(
                f"g{id(batch)}", batch.label, sum(a.size for a in members), total_tokens(members),
                len(members), f"{notices} with notices" if notices else None, tuple(members), batch,
            ))
            if batch.expanded:
                rows.extend(file_row(a, depth=1) for a in members[: self.MAX_SHOWN_MEMBERS])
        return rows


def file_row(att: Attachment, depth: int = 0) -> ChipRow:
    return ChipRow(f"a{id(att)}", att.path, att.size, att.tokens, 1, att.notice, (att,), depth=depth)


def tokens_text(tokens: int | None, exact: bool = True) -> str:
    if tokens is None:
        return "counting tokens…"
    return f"{'' if exact else '≈'}{tokens:,} tokens"


def describe_files(files: int, size: int, tokens: int | None, exact: bool = True) -> str:
    """'312 files, 1.2 MB, 240,311 tokens'"""
    noun = "file" if files == 1 else "files"
    return f"{files:,} {noun}, {human_size(size)}, {tokens_text(tokens, exact)}"


def skip_lines(result: AttachResult) -> list[str]:
    """'skipped 40 files: 25 ignored by .gitignore, 10 binary, 5 hidden'"""
    summary = result.skip_summary()
    if not summary:
        return []
    n = sum(summary.values())
    detail = ", ".join(f"{count:,} {reason}" for reason, count in summary.items())
    return [f"skipped {n:,} {'file' if n == 1 else 'files'}: {detail}"]


# --- the running job ------------------------------------------------------------------------


@dataclass(eq=False)
class AttachJob:
    """One /attach in flight. The worker thread writes the figures; the UI only reads them."""

    paths: list[str]
    cwd: Path
    limits: AttachLimits
    label: str
    model: str = ""  # whose tokenizer counts; the worker asks the router
    command: str = ""
    exact: bool = True  # set once the counter is known  # the /attach as typed, given back to the prompt if nothing attaches
    cancel: threading.Event = field(default_factory=threading.Event)
    phase: str = "scanning"  # scanning → reading → counting → done
    found: int = 0
    done: int = 0
    total: int = 0
    bytes_read: int = 0
    current: str = ""
    counted: Counter[str] = field(default_factory=Counter)

    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def progress(self, done: int, total: int, path: str) -> None:
        """collect's callback (worker thread): found-while-scanning, then read-so-far."""
        if total == 0:
            self.found = done
        else:
            if self.phase == "scanning":
                self.phase = "reading"
            if done > self.done and self.current:
                self.bytes_read += _size(self.cwd, self.current)
            self.done, self.total, self.current = done, total, path
            self.found = max(self.found, total)

    def status(self) -> str:
        if self.phase == "scanning":
            return f"scanning {self.label}: {self.found:,} files found"
        if self.phase == "counting":
            return f"counting tokens: {self.done:,} / {self.total:,} files"
        return (f"reading {self.done:,} / {self.total:,} files · {human_size(self.bytes_read)}"
                f"  {shorten(self.current, 40)}")

    def fraction(self) -> tuple[int, int] | None:
        """(done, total) for the progress bar; None while the total is unknown."""
        return (self.done, self.total) if self.phase != "scanning" and self.total else None


def _size(cwd: Path, display: str) -> int:
    try:
        return os.path.getsize(os.path.join(str(cwd), os.path.expanduser(display)))
    except OSError:
        return 0
