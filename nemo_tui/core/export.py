"""Writing a chat to a file: the format, the default file name, and errors a person can act on.

Used by `/export` in the app and by `nemo-tui export` on the command line. The text itself
comes from the store's formats (`chat_markdown`, `conversation_to_json`).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from nemo_tui.core.conversation import Conversation
from nemo_tui.core.store_schema import chat_markdown, conversation_to_json

FORMATS = {"md": "md", "markdown": "md", "json": "json"}
SLUG_MAX = 40


class ExportError(Exception):
    """The export cannot be written; the message says why and what to do."""


def parse_format(value: str) -> str:
    fmt = FORMATS.get(value.strip().lower().lstrip("."))
    if fmt is None:
        raise ExportError(f"Unknown export format {value!r}: use md or json.")
    return fmt


def render(conv: Conversation, fmt: str) -> str:
    return conversation_to_json(conv) + "\n" if fmt == "json" else chat_markdown(conv)


def slug(title: str) -> str:
    """'What is a KV cache?' -> 'what-is-a-kv-cache' (letters and digits, any script)."""
    words = re.sub(r"[^\w]+", "-", title.lower()).strip("-_")
    words = words[:SLUG_MAX].rstrip("-_")
    return words or "chat"


def default_name(conv: Conversation, fmt: str) -> str:
    ident = conv.id if conv.id is not None else "unsaved"
    return f"{slug(conv.title)}-{ident}.{fmt}"


def target_path(conv: Conversation, fmt: str, path: str | None, cwd: Path) -> Path:
    """Where to write: PATH as given (~ expanded, relative to cwd), a folder gets the default
    name inside it, no PATH means the default name in cwd."""
    if not path:
        return cwd / default_name(conv, fmt)
    target = Path(path).expanduser()
    if not target.is_absolute():
        target = cwd / target
    if target.is_dir() or path.endswith(("/", os.sep)):
        target = target / default_name(conv, fmt)
    return target


def write_text(target: Path, text: str) -> None:
    """Write the whole file or nothing (a temporary file renamed into place).

    The file is private to the user (0600), like the history database it comes from."""
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"Cannot write in {folder}: {exc.strerror or exc}.") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc

