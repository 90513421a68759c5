"""Collect files for /attach: paths, folders and globs → Attachments, skips and errors.

Blocking code with no Textual imports: the app runs `collect` in a thread worker, passing
`progress(done, total, path)` and `cancelled()` callbacks. Nothing raises out of `collect`;
every problem becomes a user-facing message in `AttachResult.errors` or a `Skipped` entry.
Folders are walked without following folder symlinks, skipping VCS/dependency/build/cache
folders, hidden entries and whatever the .gitignore files say (see `parse_gitignore`).
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from nemo_tui.core.attach_read import (
    Cancelled,
    IgnoreFile,
    Refused,
    glob_close,
    glob_step,
    has_binary_extension,
    has_magic,
    human_size,
    is_ignored,
    load_ignore,
    os_error_message,
    parse_gitignore,
    read_attachment,
)
from nemo_tui.core.conversation import Attachment
from nemo_tui.core.sanitize import safe_display

__all__ = [
    "AttachLimits", "AttachResult", "Skipped", "collect", "complete_path", "parse_gitignore",
    "safe_display",
]

ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]

VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs"})
CACHE_DIRS = frozenset(
    {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".gradle"}
)
BUILD_DIRS = frozenset({"build", "dist", "target", ".tox", ".nox", "_build", ".eggs"})
VENV_NAMES = frozenset({".venv", "venv"})
SCAN_PROGRESS_EVERY = 256


@dataclass(frozen=True)
class AttachLimits:
    max_bytes_per_attach: int = 20 * 1024 * 1024  # all files of one /attach together
    max_files: int = 2000
    max_file_bytes: int | None = None  # one file; None = max_bytes_per_attach
    include_hidden: bool = False
    use_gitignore: bool = True

    @property
    def file_bytes(self) -> int:
        cap = self.max_bytes_per_attach
        return cap if self.max_file_bytes is None else min(self.max_file_bytes, cap)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # "binary", "hidden", "ignored by .gitignore", "build folder", "too large" …


@dataclass
class AttachResult:
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False  # attachments then holds only what was read before the stop

    def skip_summary(self) -> dict[str, int]:
        """Count of skips per reason, most common first."""
        return dict(Counter(s.reason for s in self.skipped).most_common())

    @property
    def total_bytes(self) -> int:
        return sum(a.size for a in self.attachments)


# --- collecting ---------------------------------------------------------------------------


class _StopScan(Exception):
    """Counted enough files past max_files to report the scale; stop walking."""


class _Collector:
    def __init__(self, cwd: Path, limits: AttachLimits, progress: ProgressFn | None,
                 cancelled: CancelFn | None) -> None:
        self.cwd = os.path.abspath(os.path.expanduser(str(cwd)))
        self.home = os.path.expanduser("~")
        self.limits = limits
        self.progress = progress
        self.cancelled = cancelled or (lambda: False)
        self.result = AttachResult()
        self.files: list[tuple[str, str, bool, int]] = []  # path, display, explicit, arg
        self.queued: set[str] = set()
        self.found = 0
        self.count_cap = max(limits.max_files * 10, 1)
        self.capped = False
        self.arg_ok: Counter[int] = Counter()
        self.arg_skips: dict[int, Counter[str]] = {}
        self.arg_failed: set[int] = set()
        self.arg_globs: set[int] = set()

    # helpers
    def display(self, path: str) -> str:
        """Relative to cwd inside it, else absolute with `~` for home; '/' separators."""
        if path == self.cwd:
            return "."
        for base, prefix in ((self.cwd, ""), (self.home, "~/")):
            base = base.rstrip(os.sep) + os.sep
            if path.startswith(base):
                return prefix + path[len(base) :].replace(os.sep, "/")
        return path.replace(os.sep, "/")

    def skip(self, display: str, reason: str, arg: int) -> None:
        self.result.skipped.append(Skipped(display, reason))
        self.arg_skips.setdefault(arg, Counter())[reason] += 1

    def error(self, message: str, arg: int) -> None:
        self.result.errors.append(message)
        self.arg_failed.add(arg)

    def queue(self, path: str, display: str, explicit: bool, arg: int) -> None:
        if path in self.queued:
            self.arg_skips.setdefault(arg, Counter())["duplicate"] += 1  # not in result
            return
        self.queued.add(path)
        self.found += 1
        if self.progress and self.found % SCAN_PROGRESS_EVERY == 0:
            self.progress(self.found, 0, display)  # total 0: still scanning
        if len(self.files) < self.limits.max_files:
            self.files.append((path, display, explicit, arg))
        elif self.found >= self.count_cap:
            self.capped = True
            raise _StopScan

    # arguments
    def add_arg(self, raw: str, arg: int) -> None:
        expanded = os.path.expanduser(raw.strip())
        if not expanded:
            return
        path = os.path.normpath(os.path.join(self.cwd, expanded))
        if not has_magic(expanded) or os.path.lexists(path):
            self.add_path(path, arg)
        else:
            self.arg_globs.add(arg)
            self.add_glob(raw, expanded, arg)

    def add_path(self, path: str, arg: int) -> None:
        display = self.display(path)
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT and os.path.islink(path):
                self.error(f"{display}: broken symlink (its target does not exist)", arg)
            else:
                self.error(os_error_message(display, exc)[1], arg)
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(path, None, arg)
        else:  # read_attachment refuses FIFOs and devices without opening them
            self.queue(path, display, True, arg)

    def add_glob(self, raw: str, expanded: str, arg: int) -> None:
        parts = [p for p in expanded.replace(os.sep, "/").split("/") if p not in ("", ".")]
        split = next(i for i, p in enumerate(parts) if has_magic(p))
        base = os.path.join(self.cwd if not os.path.isabs(expanded) else os.sep, *parts[:split])
        base = os.path.normpath(base)
        pattern: list[str] = []
        for p in parts[split:]:
            if not (p == "**" and pattern and pattern[-1] == "**"):
                pattern.append(p)
        if not os.path.isdir(base):
            self.error(f"no files match {raw}", arg)
            return
        self.walk(base, tuple(pattern), arg)

    # folders
    def dir_reason(self, name: str, path: str) -> str | None:
        if name in VCS_DIRS:
            return "version control"
        if name == "node_modules":
            return "node_modules"
        if name in VENV_NAMES or os.path.exists(os.path.join(path, "pyvenv.cfg")) or (
            os.path.isdir(os.path.join(path, "conda-meta"))
        ):
            return "virtualenv"
        if name in CACHE_DIRS:
            return "cache folder"
        if name in BUILD_DIRS or name.endswith(".egg-info"):
            return "build folder"
        return None

    def walk(self, root: str, pattern: tuple[str, ...] | None, arg: int) -> None:
        """Depth-first in name order; `pattern` (glob parts below root) or None for all."""
        limits = self.limits
        ignores = self.ancestor_ignores(root) if limits.use_gitignore else ()
        real_root = os.path.realpath(root)
        dots = [p for p in pattern or () if p.startswith(".") and p != "**"]
        start = glob_close(pattern, {0}) if pattern else None
        stack: list[tuple[str, bool, tuple[IgnoreFile, ...], frozenset[int] | None]]
        stack = [(root, True, ignores, start)]
        seen_dirs: set[tuple[int, int]] = set()
        while stack:
            if self.cancelled():
                raise Cancelled
            path, is_dir, ignores, states = stack.pop()
            display = self.display(path)
            if not is_dir:
                self.queue(path, display, False, arg)
                continue
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) in seen_dirs:
                    self.skip(display, "folder loop", arg)
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                self.skip(display, "unreadable", arg)
                continue
            if limits.use_gitignore and (ig := load_ignore(path)) is not None:
                ignores = ignores + (ig,)
            children = []
            for entry in entries:
                item = self.entry(entry, ignores, pattern, states, dots, real_root, arg)
                if item is not None:
                    children.append(item)
            stack.extend(reversed(children))

    def entry(self, e: os.DirEntry[str], ignores: tuple[IgnoreFile, ...],
              pattern: tuple[str, ...] | None, states: frozenset[int] | None,
              dots: list[str], real_root: str, arg: int):  # noqa: ANN201
        """What to do with one folder entry: a stack item to visit, or None (skipped)."""
        name, path = e.name, e.path
        try:
            link = e.is_symlink()
            is_dir = os.path.isdir(path) if link else e.is_dir(follow_symlinks=False)
        except OSError:
            link, is_dir = False, False
        sub = states
        if pattern is not None and states is not None:
            sub = glob_step(pattern, states, name)
            full = len(pattern) in sub
            if is_dir and full:
                sub = None  # the folder itself matched: take everything below it
            elif not (full or (is_dir and sub)):
                return None  # cannot match: leave it out silently
        display = self.display(path)
        reason = self.dir_reason(name, path) if is_dir else None
        if reason is None and name.startswith(".") and not self.limits.include_hidden:
            if not any(fnmatchcase(name, d) for d in dots):
                reason = "hidden"
        if reason is None and ignores and is_ignored(ignores, path, is_dir):
            reason = "ignored by .gitignore"
        if reason is None and link:
            if not os.path.exists(path):
                reason = "broken symlink"
            elif is_dir:
                reason = "symlinked folder (not followed)"
            elif not os.path.realpath(path).startswith(real_root.rstrip(os.sep) + os.sep):
                reason = "symlink points outside the folder"
        if reason is None and not is_dir:
            if not e.is_file():  # FIFO, socket, device
                reason = "not a regular file"
            elif has_binary_extension(name):
                reason = "binary"
        if reason is not None:
            self.skip(display + ("/" if is_dir else ""), reason, arg)
            return None
        return (path, is_dir, ignores, sub)

    def ancestor_ignores(self, root: str) -> tuple[IgnoreFile, ...]:
        """.gitignore files above `root`, up to the repository top (or cwd if no repo)."""
        parents: list[str] = []
        p, in_repo = root, False
        while True:
            if os.path.exists(os.path.join(p, ".git")):
                in_repo = True
                break
            parent = os.path.dirname(p)
            if parent == p:
                break
            p = parent
            parents.append(p)
        if not in_repo:
            inside = self.cwd.rstrip(os.sep) + os.sep
            parents = [q for q in parents if q == self.cwd or q.startswith(inside)]
        loaded = (load_ignore(q) for q in reversed(parents))
        return tuple(ig for ig in loaded if ig is not None)

    # reading
    def read_all(self, budget_reason: str) -> None:
        limits, result = self.limits, self.result
        budget = limits.max_bytes_per_attach
        seen: set[tuple[int, int]] = set()
        total = len(self.files)
        over_budget = 0
        for done, (path, display, explicit, arg) in enumerate(self.files):
            if self.cancelled():
                raise Cancelled
            if self.progress:
                self.progress(done, total, display)
            try:
                att = read_attachment(path, display, limits.file_bytes, budget, budget_reason,
                                      self.cancelled, seen)
            except Refused as refused:
                if refused.reason == budget_reason:
                    over_budget += 1
                if explicit and refused.reason not in (budget_reason, "duplicate"):
                    self.error(str(refused), arg)
                else:
                    self.skip(display, refused.reason, arg)
                continue
            budget -= att.size
            result.attachments.append(att)
            self.arg_ok[arg] += 1
        if self.progress:
            self.progress(total, total, "")
        if over_budget:
            files = "file" if over_budget == 1 else "files"
            result.errors.append(f"{budget_reason}: {over_budget:,} {files} not attached")

    def report_empty(self, args: list[str], budget_reason: str) -> None:
        """An error for each argument that attached nothing and has no message yet."""
        for arg, raw in enumerate(args):
            if self.arg_ok[arg] or arg in self.arg_failed or not raw.strip():
                continue
            shown = raw.strip()
            skips = self.arg_skips.get(arg, Counter())
            if skips["duplicate"] or (skips and set(skips) <= {budget_reason}):
                continue  # named by another argument, or said once for the whole call
            if not skips:
                glob = arg in self.arg_globs
                self.result.errors.append(
                    f"no files match {shown}" if glob else f"{shown}: the folder is empty")
                continue
            detail = ", ".join(f"{n:,} {reason}" for reason, n in skips.most_common())
            count = f"{sum(skips.values()):,} skipped"
            self.result.errors.append(f"{shown}: no text files to attach ({count}: {detail})")


def collect(
    paths: list[str],
    cwd: Path,
    limits: AttachLimits | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
) -> AttachResult:
    """Read files, folders and globs (relative to `cwd`, `~` expanded) into attachments.

    `progress(done, total, path)` is called while scanning with total 0 and done = files
    found so far, then before each file is read, and once at the end with done == total.
    When `cancelled()` turns true the result comes back early with `cancelled` set.
    """
    col = _Collector(cwd, limits or AttachLimits(), progress, cancelled)
    result = col.result
    try:
        try:
            for arg, raw in enumerate(paths):
                try:
                    col.add_arg(raw, arg)
                except (OSError, ValueError) as exc:  # e.g. a NUL character in the path
                    col.error(f"{raw}: cannot use this path ({exc})", arg)
        except _StopScan:
            pass
        if len(col.files) < col.found:
            more = "+" if col.capped else ""
            result.errors.append(
                f"stopped at {len(col.files):,} of {col.found:,}{more} files "
                f"(the limit is {col.limits.max_files:,} per /attach)"
            )
        budget_reason = f"attach limit ({human_size(col.limits.max_bytes_per_attach)}) reached"
        col.read_all(budget_reason)
        if not col.capped:
            col.report_empty(paths, budget_reason)
    except Cancelled:
        result.cancelled = True
        result.errors.append("attach cancelled")
    except Exception as exc:  # noqa: BLE001 - a worker thread must not die on a surprise
        result.errors.append(f"attach failed: {exc}")
    return result


def complete_path(partial: str, cwd: Path, limit: int = 200) -> list[str]:
    """Tab candidates for `partial`: entries of its folder starting with its last part.

    Folders end with '/'; hidden entries only when the last part starts with '.'. The
    typed prefix (including `~`) is kept as typed.
    """
    head, _, tail = partial.rpartition("/")
    head = head + "/" if _ else ""
    folder = os.path.join(str(cwd), os.path.expanduser(head) if head else ".")
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.startswith(tail)]
    except OSError:
        return []
    out = []
    for e in entries:
        if e.name.startswith(".") and not tail.startswith("."):
            continue
        try:
            is_dir = e.is_dir()
        except OSError:
            is_dir = False
        out.append(head + e.name + ("/" if is_dir else ""))
    out.sort()
    return out[:limit]
