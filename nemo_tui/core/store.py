"""Chat history in SQLite that survives crashes, kill -9 and a second nemo-tui on the file.

Durability: WAL journal, ``synchronous=NORMAL`` (a commit survives any process crash; only
an OS crash or power cut can lose the last few), a 5 s busy timeout and ``BEGIN IMMEDIATE``
for every write, so concurrent processes queue instead of failing or corrupting the file.
Each ``add_message``/``update_message`` is its own committed transaction: the user's message
is on disk before the request goes out, and a streamed reply is saved as it grows.

Interrupted replies: a reply still marked ``streaming`` when a store opens was being written
by a process that may be dead. ``mark_interrupted`` (run by ``open``) marks it
``interrupted`` when its writer process no longer exists, or when the row has not been
updated for ``STALE_STREAMING_S`` (10 s), which covers writers we cannot probe (pid reused,
another pid namespace, Windows). A live writer that was wrongly marked (say, 10 s waiting
for the first token) puts its own status back with its next ``update_message``.

Files: the database is created 0600 (its directory 0700 when we create it); SQLite gives
the -wal/-shm files the database's mode. A database from a newer nemo-tui is refused with
``NewerSchemaError`` after a read-only look, before anything is written. ``open_or_recover``
moves an unreadable database aside (never deletes it) and starts afresh.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from nemo_tui.core import store_schema as schema
from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.store_schema import (
    BUSY_TIMEOUT_S,
    ChatNotFoundError,
    ChatSummary,
    CorruptDatabaseError,
    NewerSchemaError,
    SearchHit,
    StoreError,
    chat_markdown,
    conversation_from_json,
    conversation_to_json,
    title_from,
    wrap_error,
)

__all__ = [
    "ChatNotFoundError", "ChatSummary", "CorruptDatabaseError", "HistoryStore",
    "NewerSchemaError", "SearchHit", "StoreError", "chat_markdown", "conversation_from_json",
    "conversation_to_json", "title_from",
]

STALE_STREAMING_S = 10.0
MEMORY = ":memory:"
_MSG_COLS = ("id, role, content, model, status, created_at, stats, error, route_reason,"
             " predicted_prompt_tokens")
_ATT_COLS = ("path", "size", "sha256", "tokens", "kind", "notice", "content")


def _guarded(method):  # type: ignore[no-untyped-def]
    """Serialise calls on one store and turn sqlite3 errors into StoreError."""

    @functools.wraps(method)
    def wrapper(self: HistoryStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise wrap_error(exc, self.path) from exc

    return wrapper


class HistoryStore:
    """All chats in one SQLite file. Thread-safe; every public method may raise StoreError."""

    def __init__(self, conn: sqlite3.Connection, path: str, fts: bool) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.fts_enabled = fts

    # ---- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, fts: bool | None = None) -> HistoryStore:
        """Open (creating if needed) the database; ``":memory:"`` gives a throwaway store.

        ``fts``: None = use FTS5 when SQLite has it; False = LIKE search only.
        """
        return cls._open(path, fts, quick_check=False)

    @classmethod
    def open_or_recover(
        cls, path: str | os.PathLike[str], *, fts: bool | None = None
    ) -> tuple[HistoryStore, str | None]:
        """Like ``open``, but a damaged database is moved aside and a fresh one started.

        Returns the store and a notice for the user (None when nothing happened). Newer
        schema and permission problems still raise StoreError: those files are fine.
        """
        try:
            return cls._open(path, fts, quick_check=True), None
        except CorruptDatabaseError as exc:
            moved = schema.move_aside(Path(path).expanduser())
            store = cls._open(path, fts, quick_check=False)
            return store, (f"{str(exc).rstrip('.')}. It was moved aside to {moved} (with any"
                           " -wal/-shm files) and a new, empty history was started; nothing"
                           " was deleted.")

    @classmethod
    def _open(cls, path: str | os.PathLike[str], fts: bool | None, quick_check: bool
              ) -> HistoryStore:
        want_fts = schema.fts5_available() and fts is not False
        if os.fspath(path) == MEMORY:
            conn = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False)
            where = MEMORY
        else:
            p = Path(path).expanduser()
            try:
                if p.exists():
                    schema.inspect_file(p, quick_check)
                schema.create_file(p)
            except OSError as exc:  # e.g. a folder on the way we may not enter
                raise StoreError(f"cannot use the history database {p}: "
                                 f"{exc.strerror or exc}") from exc
            where = str(p)
            try:
                conn = sqlite3.connect(where, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                       check_same_thread=False)
            except sqlite3.Error as exc:
                raise wrap_error(exc, where) from exc
        store = cls(conn, where, want_fts)
        try:
            store._prepare()
        except BaseException:
            conn.close()
            raise
        return store

    @_guarded
    def _prepare(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        schema.refuse_newer(self.path, c.execute("PRAGMA user_version").fetchone()[0])
        if self.path != MEMORY and c.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"history database {self.path}: cannot use WAL ({mode})")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        expected = len(schema.FTS_TRIGGERS) if self.fts_enabled else 0
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version != schema.SCHEMA_VERSION or schema.fts_state(c) != expected:
            with self._tx():
                version = c.execute("PRAGMA user_version").fetchone()[0]
                schema.refuse_newer(self.path, version)
                if version < schema.SCHEMA_VERSION:
                    schema.migrate(c, version)
                schema.ensure_fts(c, self.fts_enabled)
        self.mark_interrupted()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @_guarded
    def mark_interrupted(self, stale_after: float = STALE_STREAMING_S) -> int:
        """Mark orphaned 'streaming' replies 'interrupted' (see module doc); returns count."""
        sql = "SELECT id, writer_pid, updated_at FROM messages WHERE status = 'streaming'"
        if not self._conn.execute(sql).fetchone():
            return 0
        with self._tx() as c:
            now = time.time()
            ids = [i for i, pid, upd in c.execute(sql).fetchall()
                   if (upd or 0) < now - stale_after or not schema.pid_alive(pid)]
            c.executemany("UPDATE messages SET status = 'interrupted', updated_at = ? "
                          "WHERE id = ? AND status = 'streaming'", [(now, i) for i in ids])
        return len(ids)

    # ---- chats -----------------------------------------------------------------------

    @_guarded
    def create_chat(self, conv: Conversation) -> int:
        """Insert the chat's row (not its messages: add those with ``add_message``)."""
        return self._create(conv, with_messages=False)

    def _create(self, conv: Conversation, with_messages: bool) -> int:
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO chats (title, model, created_at, updated_at, num_ctx, language,"
                " system_prompt, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conv.title, conv.model, conv.created_at, conv.updated_at, conv.num_ctx,
                 conv.language, conv.system_prompt, json.dumps(conv.options)))
            chat_id = int(cur.lastrowid or 0)
            msgs = conv.messages if with_messages else []
            ids = [self._insert_message(chat_id, msg, touch=False) for msg in msgs]
            title = self._title(chat_id)
        for msg, mid in zip(msgs, ids):  # only once committed
            msg.id = mid
        conv.id, conv.title = chat_id, title
        return chat_id

    @_guarded
    def update_chat(self, conv: Conversation) -> None:
        """Save the chat's settings; an empty ``conv.title`` keeps (and reloads) the stored one."""
        now = time.time()
        with self._tx() as c:
            cur = c.execute(
                "UPDATE chats SET title = CASE WHEN ? = '' THEN title ELSE ? END, model = ?,"
                " num_ctx = ?, language = ?, system_prompt = ?, options = ?, updated_at = ?"
                " WHERE id = ?",
                (conv.title, conv.title, conv.model, conv.num_ctx, conv.language,
                 conv.system_prompt, json.dumps(conv.options), now, conv.id))
            if cur.rowcount == 0:
                raise ChatNotFoundError(f"chat {conv.id} does not exist")
            title = self._title(conv.id)
        conv.title, conv.updated_at = title, now

    def _title(self, chat_id: int) -> str:
        return self._conn.execute("SELECT title FROM chats WHERE id = ?", (chat_id,)).fetchone()[0]

    @_guarded
    def list_chats(self, limit: int = 200) -> list[ChatSummary]:
        rows = self._conn.execute(
            "SELECT id, title, model, created_at, updated_at,"
            " (SELECT count(*) FROM messages m WHERE m.chat_id = c.id)"
            " FROM chats c ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,))
        return [ChatSummary(*row) for row in rows]

    @_guarded
    def most_recent_chat_id(self) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM chats ORDER BY updated_at DESC, id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    @_guarded
    def load_chat(self, chat_id: int) -> Conversation:
        """The chat with its messages (in order) and their attachments."""
        c = self._conn
        c.execute("BEGIN")  # one snapshot, even while another process writes
        try:
            row = c.execute("SELECT id, title, model, num_ctx, language, system_prompt, options,"
                            " created_at, updated_at FROM chats WHERE id = ?",
                            (chat_id,)).fetchone()
            if row is None:
                raise ChatNotFoundError(f"chat {chat_id} does not exist")
            msgs = c.execute(f"SELECT {_MSG_COLS} FROM messages WHERE chat_id = ? ORDER BY id",
                             (chat_id,)).fetchall()
            atts = c.execute(
                f"SELECT a.message_id, {', '.join('a.' + n for n in _ATT_COLS)} FROM attachments a"
                " JOIN messages m ON m.id = a.message_id WHERE m.chat_id = ?"
                " ORDER BY a.message_id, a.position", (chat_id,)).fetchall()
        finally:
            if c.in_transaction:
                c.execute("COMMIT")
        by_msg: dict[int, list[Attachment]] = {}
        for mid, *vals in atts:
            by_msg.setdefault(mid, []).append(Attachment(**dict(zip(_ATT_COLS, vals))))
        messages = [
            Message(id=mid, role=role, content=content, model=model, status=status,
                    created_at=created, stats=json.loads(stats) if stats else {}, error=error,
                    route_reason=reason, predicted_prompt_tokens=predicted,
                    attachments=by_msg.get(mid, []))
            for mid, role, content, model, status, created, stats, error, reason, predicted in msgs
        ]
        cid, title, model, num_ctx, language, system, options, created, updated = row
        return Conversation(id=cid, title=title, model=model, num_ctx=num_ctx, language=language,
                            system_prompt=system, options=json.loads(options or "{}"),
                            messages=messages, created_at=created, updated_at=updated)

    @_guarded
    def rename_chat(self, chat_id: int, title: str) -> None:
        with self._tx() as c:
            cur = c.execute("UPDATE chats SET title = ? WHERE id = ?", (title, chat_id))
            if cur.rowcount == 0:
                raise ChatNotFoundError(f"chat {chat_id} does not exist")

    @_guarded
    def delete_chat(self, chat_id: int) -> bool:
        """Delete a chat with its messages and attachments; False if it did not exist."""
        with self._tx() as c:
            c.execute("DELETE FROM attachments WHERE message_id IN"
                      " (SELECT id FROM messages WHERE chat_id = ?)", (chat_id,))
            c.execute("DELETE FROM messages WHERE chat_id = ?", (chat_id,))
            return c.execute("DELETE FROM chats WHERE id = ?", (chat_id,)).rowcount > 0

    # ---- messages --------------------------------------------------------------------

    @_guarded
    def add_message(self, chat_id: int, msg: Message) -> int:
        """Insert and commit a message with its attachments; sets ``msg.id``.

        The first user message of an untitled chat also sets the chat's title (the caller
        can mirror it with ``title_from(msg.content)``).
        """
        if msg.id is not None:
            raise StoreError(f"message {msg.id} is already saved; use update_message")
        with self._tx():
            mid = self._insert_message(chat_id, msg, touch=True)
        msg.id = mid  # only once committed
        return mid

    def _insert_message(self, chat_id: int, msg: Message, touch: bool) -> int:
        c, now = self._conn, time.time()
        cur = c.execute(
            "INSERT INTO messages (chat_id, role, content, model, status, created_at, updated_at,"
            " stats, error, route_reason, predicted_prompt_tokens, writer_pid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (chat_id, msg.role, msg.content, msg.model, msg.status, msg.created_at, now,
             json.dumps(msg.stats) if msg.stats else None, msg.error, msg.route_reason,
             msg.predicted_prompt_tokens, os.getpid()))
        mid = int(cur.lastrowid or 0)
        c.executemany(
            f"INSERT INTO attachments (message_id, position, {', '.join(_ATT_COLS)})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(mid, i, *(getattr(a, n) for n in _ATT_COLS)) for i, a in enumerate(msg.attachments)])
        title = ""
        if msg.role == "user":
            title = title_from(msg.content) or (
                os.path.basename(msg.attachments[0].path) if msg.attachments else "")
        cur = c.execute(
            "UPDATE chats SET title = CASE WHEN title = '' THEN ? ELSE title END,"
            " updated_at = CASE WHEN ? THEN ? ELSE updated_at END WHERE id = ?",
            (title, touch, now, chat_id))
        if cur.rowcount == 0:
            raise ChatNotFoundError(f"chat {chat_id} does not exist")
        return mid

    @_guarded
    def delete_message(self, message_id: int) -> bool:
        """Delete one message and its attachments; False if it did not exist."""
        with self._tx() as c:
            c.execute("DELETE FROM attachments WHERE message_id = ?", (message_id,))
            return c.execute("DELETE FROM messages WHERE id = ?", (message_id,)).rowcount > 0

    @_guarded
    def update_message(self, msg: Message) -> bool:
        """Save a message's mutable fields: one UPDATE and a commit, cheap enough to stream.

        Attachments are not touched. Returns False if the message no longer exists (its
        chat was deleted, perhaps by another process).
        """
        if msg.id is None:
            raise StoreError("update_message: the message has not been added yet")
        with self._tx() as c:
            cur = c.execute(
                "UPDATE messages SET content = ?, status = ?, stats = ?, error = ?,"
                " route_reason = ?, predicted_prompt_tokens = ?, model = ?, updated_at = ?,"
                " writer_pid = ? WHERE id = ?",
                (msg.content, msg.status, json.dumps(msg.stats) if msg.stats else None,
                 msg.error, msg.route_reason, msg.predicted_prompt_tokens, msg.model,
                 time.time(), os.getpid(), msg.id))
        return cur.rowcount > 0

    # ---- search and export -----------------------------------------------------------

    @_guarded
    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Messages containing every word of ``text`` (FTS5 prefix match, else LIKE),
        newest first, across all chats."""
        words = text.split()
        if not words:
            return []
        head = "SELECT m.chat_id, m.id, c.title, {snip}, m.role, m.created_at FROM "
        join = " JOIN chats c ON c.id = m.chat_id"
        if self.fts_enabled:
            # The newest ``limit`` matches come straight from the index (rowid order, no
            # sort), so snippets are built for those rows only.
            query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            sql = (head.format(snip="f.snip") + "(SELECT rowid AS id, snippet(messages_fts, 0,"
                   " '', '', '…', 12) AS snip FROM messages_fts WHERE messages_fts MATCH ?"
                   " ORDER BY rowid DESC LIMIT ?) f JOIN messages m ON m.id = f.id" + join
                   + " ORDER BY m.id DESC")
            try:
                rows = self._conn.execute(sql, (query, limit)).fetchall()
                return [SearchHit(a, b, t, " ".join(s.split()), r, ts)
                        for a, b, t, s, r, ts in rows]
            except sqlite3.OperationalError:
                pass  # a query FTS cannot parse: fall through to LIKE
        like = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
        cond = " AND ".join(["m.content LIKE ? ESCAPE '\\'"] * len(words))
        sql = (head.format(snip="m.content") + "messages m" + join
               + f" WHERE {cond} ORDER BY m.id DESC LIMIT ?")
        rows = self._conn.execute(sql, (*(f"%{w}%" for w in like), limit)).fetchall()
        return [SearchHit(a, b, t, schema.snippet_around(s, words), r, ts)
                for a, b, t, s, r, ts in rows]

    def export_json(self, chat_id: int) -> str:
        """Every stored field of the chat; ``conversation_from_json`` reads it back."""
        return conversation_to_json(self.load_chat(chat_id))

    @_guarded
    def import_json(self, text: str) -> int:
        """Store an exported chat, with its messages, as a new chat; returns its id."""
        conv = conversation_from_json(text)
        for m in conv.messages:
            m.id = None
        return self._create(conv, with_messages=True)

    def export_markdown(self, chat_id: int) -> str:
        return chat_markdown(self.load_chat(chat_id))
