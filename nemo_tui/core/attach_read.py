"""Helpers for /attach: read one file safely, decode it, extract PDF text; match .gitignore
rules and globs.

Blocking code with no Textual imports; `attachments.collect` calls it from a thread worker.
`read_attachment` never opens anything but a regular file (a FIFO would block forever) and
raises `Refused` with a short reason and a user-facing message instead of other exceptions.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from nemo_tui.core.conversation import Attachment

SNIFF_BYTES = 8192

BINARY_EXTENSIONS = frozenset(
    """
    png jpg jpeg gif bmp ico icns tif tiff webp psd heic avif
    zip gz tgz bz2 xz zst 7z rar tar lz4 lzma jar war whl egg apk dmg iso img deb rpm
    exe dll so dylib o a lib pyc pyo pyd class wasm bin
    mp3 mp4 m4a wav flac ogg oga opus mkv mov avi webm wmv
    ttf otf woff woff2 eot
    sqlite sqlite3 db parquet feather npy npz pkl pickle h5 hdf5 onnx pt pth safetensors gguf
    doc docx xls xlsx ppt pptx odt ods odp
    """.split()
)

_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"PK\x03\x04",  # zip, docx, jar …
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!",
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",
    b"SQLite format 3\x00",
    b"\x00asm",
    b"GGUF",
    b"OggS",
    b"fLaC",
    b"ID3",
)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Refused(Exception):
    """A file was not attached. `reason` is the short skip category, `str()` the message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Cancelled(Exception):
    """The caller's `cancelled()` returned True part way through."""


def human_size(n: int) -> str:
    """`20 MB`, `2.0 GB`, `512 bytes` (binary units, short names)."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def has_binary_extension(name: str) -> bool:
    _, dot, ext = name.rpartition(".")
    return bool(dot) and ext.lower() in BINARY_EXTENSIONS


def is_pdf(name: str, head: bytes) -> bool:
    return name.lower().endswith(".pdf") or head[:1024].lstrip().startswith(b"%PDF-")


def looks_binary(head: bytes) -> bool:
    """True for known magic numbers or a NUL byte in the first 8 KiB (UTF-16/32 with a BOM
    contain NULs but are text)."""
    if head.startswith(_UTF16_BOMS) or head.startswith(codecs.BOM_UTF32_BE):
        return False
    if head.startswith(_MAGIC):
        return True
    return b"\x00" in head[:SNIFF_BYTES]


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """Decode file bytes to text with LF line ends; returns (text, notice or None).

    BOMs select UTF-8/16/32 (and are stripped); otherwise UTF-8, then cp1252, then latin-1,
    which cannot fail. NUL characters are dropped.
    """
    notice: str | None = None
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    )
    for bom, encoding in boms:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError:
                text = body.decode(encoding, errors="replace")
                notice = f"invalid {encoding.upper()}; bad bytes replaced"
            break
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text, used = raw.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, used = raw.decode("latin-1"), "latin-1"
            notice = f"not valid UTF-8; decoded as {used}"
    return normalise(text), notice


def normalise(text: str) -> str:
    return text.replace("\x00", "").replace("\r\n", "\n")


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


def _not_regular(display: str, mode: int) -> Refused:
    return Refused("not a regular file", f"{display} is {_kind_of(mode)}; not attached")


def os_error_message(display: str, exc: OSError) -> tuple[str, str]:
    """(reason, message) for an OSError raised while looking at `display`."""
    if exc.errno == errno.ELOOP:
        return "symlink loop", f"{display}: symlink loop (links point at each other)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", f"{display}: permission denied"
    if exc.errno == errno.ENOENT:
        return "not found", f"{display}: no such file or folder"
    return "unreadable", f"{display}: cannot read ({exc.strerror or exc})"


def read_attachment(
    path: str,
    display: str,
    max_file_bytes: int,
    budget: int | None = None,
    budget_reason: str = "attach limit reached",
    cancelled: Callable[[], bool] | None = None,
    seen: set[tuple[int, int]] | None = None,
) -> Attachment:
    """Read one regular file (following a symlink) into an Attachment, or raise Refused.

    `budget` is what is left of the call's byte limit; `seen` holds (st_dev, st_ino) of
    files already attached, so a file reached twice is refused as a duplicate.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        st = os.stat(path)  # check before open: opening a FIFO for reading would block
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(display, st.st_mode)
        fd = os.open(path, flags)
    except OSError as exc:
        raise Refused(*os_error_message(display, exc)) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)  # the file could have been swapped since the stat above
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(display, st.st_mode)
        key = (st.st_dev, st.st_ino)
        if seen is not None and key in seen:
            raise Refused("duplicate", f"{display} is already attached")
        size = st.st_size
        if size > max_file_bytes:
            raise Refused(
                "too large",
                f"{display} is {human_size(size)}, over the {human_size(max_file_bytes)} limit",
            )
        if budget is not None and size > budget:
            raise Refused(budget_reason, f"{display}: {budget_reason}")
        if has_binary_extension(display):
            raise Refused("binary", f"{display} is a binary file; not attached")
        try:
            raw = fh.read(max_file_bytes + 1)
        except OSError as exc:
            raise Refused(*os_error_message(display, exc)) from None
    if len(raw) > max_file_bytes:  # grew while we read it
        raise Refused("too large", f"{display} is over the {human_size(max_file_bytes)} limit")
    if budget is not None and len(raw) > budget:
        raise Refused(budget_reason, f"{display}: {budget_reason}")
    digest = hashlib.sha256(raw).hexdigest()
    head = raw[:SNIFF_BYTES]
    if is_pdf(display, head):
        content = pdf_text(raw, display, cancelled)
        att = Attachment(path=display, content=content, size=size, sha256=digest, kind="pdf")
    elif looks_binary(head):
        raise Refused("binary", f"{display} is a binary file; not attached")
    else:
        text, notice = decode_text(raw)
        att = Attachment(path=display, content=text, size=size, sha256=digest, notice=notice)
    if seen is not None:
        seen.add(key)
    return att


def pdf_text(raw: bytes, display: str, cancelled: Callable[[], bool] | None = None) -> str:
    """Text of every page with `--- page N ---` markers; Refused if it has none or is locked."""
    import logging

    import pypdf  # keep it off the app's import path

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files log a lot
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")  # owner-password-only PDFs open like this
            except Exception:  # noqa: BLE001 - e.g. AES without a crypto library
                unlocked = 0
            if not unlocked:
                raise Refused(
                    "encrypted PDF",
                    f"{display} is encrypted (password-protected); remove the password first",
                )
        pages = list(reader.pages)
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types, not only PdfReadError
        raise Refused("unreadable PDF", f"{display}: not a readable PDF ({exc})") from None
    parts: list[str] = []
    any_text = False
    for number, page in enumerate(pages, start=1):
        if cancelled is not None and cancelled():
            raise Cancelled
        try:
            text = normalise(page.extract_text() or "").strip("\n")
        except Exception:  # noqa: BLE001 - one bad page should not lose the rest
            text = "[text of this page could not be extracted]"
        else:
            any_text = any_text or bool(text.strip())
        parts.append(f"--- page {number} ---\n{text}")
    if not any_text:
        raise Refused(
            "PDF without text layer",
            f"{display} has no text layer (scanned?); OCR it first",
        )
    return "\n\n".join(parts) + "\n"


# --- .gitignore (applied by attachments.collect while walking folders) --------------------


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


@dataclass(frozen=True)
class IgnoreFile:
    base: str  # folder holding the .gitignore; rules match paths relative to it
    rules: tuple[_Rule, ...]


def _translate(pattern: str) -> str:
    """Regex body for one gitignore pattern (no leading/trailing slash, no `!`)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        at_start = i == 0 or pattern[i - 1] == "/"
        if at_start and pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if at_start and pattern[i:] == "**":
            out.append(".*")
            break
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            if body[0] in "!^":
                body = "^" + body[1:]
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            out.append("(?!/)[" + body + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str) -> list[tuple[re.Pattern[str], bool, bool]]:
    """(regex, negate, dir_only) per pattern line; regexes match '/'-separated relative paths.

    Supports comments, `!` negation, `\\` escapes, `*`, `?`, `[abc]`, `**`, a leading or
    middle `/` anchoring the pattern to the .gitignore's folder, and a trailing `/` for
    folders only.
    """
    rules = []
    for line in text.splitlines():
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.removeprefix("/")
        if not line:
            continue
        prefix = "" if anchored else "(?:.*/)?"
        try:
            regex = re.compile(f"^{prefix}{_translate(line)}$", re.DOTALL)
        except re.error:
            continue
        rules.append((regex, negate, dir_only))
    return rules


def load_ignore(folder: str) -> IgnoreFile | None:
    path = os.path.join(folder, ".gitignore")
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 1024 * 1024:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    rules = tuple(_Rule(*r) for r in parse_gitignore(text))
    return IgnoreFile(folder, rules) if rules else None


def is_ignored(ignores: tuple[IgnoreFile, ...], path: str, is_dir: bool) -> bool:
    """Last matching rule wins; deeper .gitignore files come later, so they win."""
    for ig in reversed(ignores):
        base = ig.base.rstrip(os.sep) + os.sep
        rel = path[len(base) :] if path.startswith(base) else os.path.relpath(path, ig.base)
        rel = rel.replace(os.sep, "/")
        for rule in reversed(ig.rules):
            if (is_dir or not rule.dir_only) and rule.regex.match(rel):
                return not rule.negate
    return False


# --- globs (folder-by-folder matching for attachments.collect) ----------------------------


def has_magic(s: str) -> bool:
    return any(c in s for c in "*?[")


def glob_close(pat: tuple[str, ...], states: set[int]) -> frozenset[int]:
    """Add the states reached by letting `**` match zero folders."""
    todo = list(states)
    while todo:
        s = todo.pop()
        if s < len(pat) and pat[s] == "**" and s + 1 not in states:
            states.add(s + 1)
            todo.append(s + 1)
    return frozenset(states)


def glob_step(pat: tuple[str, ...], states: frozenset[int], name: str) -> frozenset[int]:
    """Pattern positions (0..len) after matching one more path part; len = full match."""
    nxt: set[int] = set()
    for s in states:
        if s < len(pat):
            if pat[s] == "**":
                nxt.add(s)
            elif fnmatchcase(name, pat[s]):
                nxt.add(s + 1)
    return glob_close(pat, nxt)
