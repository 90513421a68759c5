"""Formats of the chat history (see store.py): the store's errors and result records, the
SQLite schema and its forward migrations, the database file on disk (creation, inspection,
moving a damaged file aside), and the JSON / Markdown export formats.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database
from version ``i`` to ``i + 1``; each runs inside the caller's write transaction, so a
migration either fully happens or not at all. Never edit a released migration: append a
new one and bump nothing else (``SCHEMA_VERSION`` is ``len(MIGRATIONS)``).

The full-text index is not a numbered migration, because whether it can exist depends on
the SQLite build (FTS5 is optional). ``ensure_fts`` keeps one invariant instead: *the index
is in sync exactly when its triggers exist*. With FTS5 available and the triggers missing it
creates the table and triggers and rebuilds the index from ``messages``; without FTS5 (or
with it turned off) it drops the triggers, so writes never depend on a missing module and a
later FTS-capable run rebuilds the index.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_tui.core.conversation import Attachment, Conversation, Message

BUSY_TIMEOUT_S = 5.0
TITLE_MAX = 60
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary result codes)
Migration = Callable[[sqlite3.Connection], None]


class StoreError(Exception):
    """The history database cannot be used; the message says why, for the user."""


class NewerSchemaError(StoreError):
    """The database was written by a newer nemo-tui; it has been left untouched."""


class CorruptDatabaseError(StoreError):
    """The file is not a readable SQLite database (see ``HistoryStore.open_or_recover``)."""


class ChatNotFoundError(StoreError):
    """No chat (or message) with that id, e.g. deleted by another nemo-tui."""


def wrap_error(exc: sqlite3.Error, where: object) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc)
    if (code is not None and (code & 0xFF) in _CORRUPT_CODES) or "not a database" in text:
        return CorruptDatabaseError(f"history database {where} is unreadable: {text}")
    if "unable to open" in text:
        text += " (check that the file and its folder exist and are readable/writable)"
    return StoreError(f"history database {where}: {text}")


# ---- records ----------------------------------------------------------------------

@dataclass(frozen=True)
class ChatSummary:
    id: int
    title: str
    model: str
    created_at: float
    updated_at: float
    message_count: int


@dataclass(frozen=True)
class SearchHit:
    chat_id: int
    message_id: int
    title: str  # the chat's title
    snippet: str  # whitespace-collapsed excerpt around the match, "…" where cut
    role: str
    created_at: float


def title_from(text: str, limit: int = TITLE_MAX) -> str:
    """A chat title from the first prompt: one line, at most ``limit`` chars, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


# ---- schema -----------------------------------------------------------------------

def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one (``executescript`` would COMMIT the transaction)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            conn.execute(buf)
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement: {buf!r}")


# v0 -> v1: the original minimal schema.
V1_SQL = """
CREATE TABLE chats (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    model TEXT,
    status TEXT NOT NULL DEFAULT 'complete',
    created_at REAL NOT NULL,
    stats TEXT,
    error TEXT
);
CREATE INDEX messages_by_chat ON messages(chat_id, id);
"""

# v1 -> v2: chat settings, per-message bookkeeping, attachments.
V2_SQL = """
ALTER TABLE chats ADD COLUMN num_ctx INTEGER;
ALTER TABLE chats ADD COLUMN language TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE chats ADD COLUMN system_prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN updated_at REAL;
ALTER TABLE messages ADD COLUMN route_reason TEXT;
ALTER TABLE messages ADD COLUMN predicted_prompt_tokens INTEGER;
ALTER TABLE messages ADD COLUMN writer_pid INTEGER;
UPDATE messages SET updated_at = created_at;
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL DEFAULT '',
    tokens INTEGER,
    kind TEXT NOT NULL DEFAULT 'text',
    notice TEXT,
    content TEXT NOT NULL
);
CREATE INDEX attachments_by_message ON attachments(message_id, position);
CREATE INDEX chats_by_updated ON chats(updated_at);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
"""


def _v1(conn: sqlite3.Connection) -> None:
    run_script(conn, V1_SQL)


def _v2(conn: sqlite3.Connection) -> None:
    run_script(conn, V2_SQL)


MIGRATIONS: list[Migration] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, current: int) -> None:
    """Apply every migration after ``current``; the caller holds a write transaction."""
    for version in range(current, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


# ---- optional full-text index -------------------------------------------------------

FTS_TRIGGERS = ("messages_fts_ai", "messages_fts_ad", "messages_fts_au")

FTS_SQL = """
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts
    USING fts5(content, content='messages', content_rowid='id');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
"""


@functools.cache
def fts5_available() -> bool:
    """Whether this SQLite build has FTS5 (tried on a scratch in-memory database)."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.Error:
        return False
    finally:
        probe.close()


def fts_state(conn: sqlite3.Connection) -> int:
    """How many of the FTS triggers exist (0 or 3 when consistent)."""
    marks = ",".join("?" * len(FTS_TRIGGERS))
    row = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name IN ({marks})",
        FTS_TRIGGERS,
    ).fetchone()
    return int(row[0])


def ensure_fts(conn: sqlite3.Connection, enabled: bool) -> None:
    """Make the trigger set match ``enabled``; the caller holds a write transaction."""
    present = fts_state(conn)
    if enabled and present == len(FTS_TRIGGERS):
        return
    if not enabled and present == 0:
        return
    for name in FTS_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    if enabled:
        run_script(conn, FTS_SQL)


# ---- the database file ------------------------------------------------------------

def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid() or sys.platform == "win32":  # os.kill(pid, 0) is not a probe there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: exists, owned by someone else
        return True
    return True


def refuse_newer(path: object, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"history database {path} has schema version {version}, but this nemo-tui only "
            f"knows up to {SCHEMA_VERSION}: it was written by a newer nemo-tui. "
            "Upgrade nemo-tui; the file has not been changed.")


def inspect_file(path: Path, quick_check: bool) -> None:
    """Look at an existing database through a read-only connection; raise if unusable."""
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(
            f"cannot read and write the history database {path}: permission denied")
    if path.stat().st_size == 0:
        return
    if not os.path.lexists(f"{path}-wal"):
        # No WAL: the header is authoritative, so a newer schema is refused without
        # SQLite (which would leave empty -wal/-shm files beside it). Anything odd about
        # the header is left for SQLite to judge, under its locks.
        with open(path, "rb") as f:
            header = f.read(100)
        if len(header) == 100 and header.startswith(b"SQLite format 3\x00"):
            refuse_newer(path, int.from_bytes(header[60:64], "big", signed=True))
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                             timeout=BUSY_TIMEOUT_S)
        try:
            version = ro.execute("PRAGMA user_version").fetchone()[0]
            ro.execute("SELECT count(*) FROM sqlite_master").fetchone()
            problems = ro.execute("PRAGMA quick_check").fetchall() if quick_check else [("ok",)]
        finally:
            ro.close()
    except sqlite3.Error as exc:
        raise wrap_error(exc, path) from exc
    refuse_newer(path, version)
    if problems != [("ok",)]:
        raise CorruptDatabaseError(f"history database {path} is damaged: {problems[0][0]}")


def create_file(path: Path) -> None:
    try:
        if not path.parent.exists():
            os.makedirs(path.parent, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the history database {path}: {exc.strerror or exc}")
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            pass


def move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while any(os.path.lexists(f"{target}{s}") for s in ("", "-wal", "-shm", "-journal")):
        target, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
    try:
        os.rename(path, target)
        for suffix in ("-wal", "-shm", "-journal"):
            if os.path.lexists(f"{path}{suffix}"):
                os.rename(f"{path}{suffix}", f"{target}{suffix}")
    except OSError as exc:
        raise StoreError(f"cannot move the damaged history database {path} aside: {exc}")
    return target


# ---- export formats -----------------------------------------------------------------

def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def conversation_to_json(conv: Conversation) -> str:
    """Every field of the chat, its messages and attachments, as indented JSON."""
    doc = {"format": "nemo-tui-chat", "format_version": 1, "chat": dataclasses.asdict(conv)}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def conversation_from_json(text: str) -> Conversation:
    """Parse ``export_json`` output (unknown keys are ignored, for newer exports)."""
    try:
        doc = json.loads(text)
        if doc.get("format") != "nemo-tui-chat":
            raise ValueError("not a nemo-tui chat export")
        chat = _known(Conversation, doc["chat"])
        chat["messages"] = [
            Message(**{**_known(Message, m),
                       "attachments": [Attachment(**_known(Attachment, a))
                                       for a in m.get("attachments", [])]})
            for m in chat.get("messages", [])]
        return Conversation(**chat)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"cannot import chat: {exc}") from exc


def chat_markdown(conv: Conversation) -> str:
    """A readable Markdown transcript (attachments listed; their text is in the JSON export)."""

    def when(ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))

    out = [f"# {conv.title or 'Untitled chat'}", "",
           f"- Model: `{conv.model}`", f"- Created: {when(conv.created_at)}"]
    if conv.num_ctx:
        out.append(f"- Context: {conv.num_ctx} tokens")
    if conv.language != "auto":
        out.append(f"- Language: {conv.language}")
    if conv.system_prompt:
        out += ["", "**System prompt**", ""]
        out += [f"> {line}" for line in conv.system_prompt.splitlines()]
    for m in conv.messages:
        head = m.role.capitalize() + (f" ({m.model})" if m.role == "assistant" and m.model else "")
        note = "" if m.status == "complete" else f" — *{m.status}*"
        out += ["", "---", "", f"### {head} · {when(m.created_at)}{note}", ""]
        if m.attachments:
            out.append("Attached files:")
            for a in m.attachments:
                extra = f", {a.tokens} tokens" if a.tokens is not None else ""
                extra += f"; {a.notice}" if a.notice else ""
                out.append(f"- `{a.path}` ({a.size} bytes{extra})")
            out.append("")
        out.append(m.content)
        if m.error:
            out += ["", f"> **Error:** {m.error}"]
    return "\n".join(out).rstrip() + "\n"


def snippet_around(text: str, words: list[str], before: int = 30, after: int = 60) -> str:
    """An excerpt of ``text`` around the first of ``words`` (LIKE-search hits)."""
    flat = " ".join(text.split())
    low = flat.lower()
    at = min((i for i in (low.find(w.lower()) for w in words) if i >= 0), default=0)
    start, end = max(0, at - before), min(len(flat), at + after)
    if start > 0 and " " in flat[start:at]:
        start = flat.index(" ", start) + 1
    if end < len(flat) and " " in flat[at:end]:
        end = flat.rindex(" ", at, end)
    return ("…" if start > 0 else "") + flat[start:end] + ("…" if end < len(flat) else "")
