"""HistoryStore: round trips, streaming saves, kill -9, two writers, migrations, recovery."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nemo_tui.core import store_schema
from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.store import (
    CorruptDatabaseError,
    HistoryStore,
    NewerSchemaError,
    StoreError,
    conversation_from_json,
    title_from,
)
from tests.store_writer import USER_PROMPT, stream_text

WRITER = str(Path(__file__).with_name("store_writer.py"))
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and modes")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def full_conversation() -> Conversation:
    """A chat with every field set to something other than its default."""
    return Conversation(
        title="Parsing CSV files",
        model="mistral-nemo:12b",
        num_ctx=16384,
        language="fr",
        system_prompt="You are terse.\nAnswer in French.",
        options={"temperature": 0.3, "top_p": 0.9, "seed": 42, "num_predict": 512},
        created_at=1_700_000_000.25,
        updated_at=1_700_000_100.5,
        messages=[
            Message(
                "user", "Why does this fail? 100% sure it's the quoting",
                created_at=1_700_000_001.5,
                predicted_prompt_tokens=321, route_reason="attachments",
                attachments=[
                    Attachment("src/read.py", "import csv\nprint('é')\n", 25, sha256="ab" * 32,
                               tokens=14, kind="text", notice=None),
                    Attachment("docs/spec.pdf", "Page 1 text", 9001, sha256="cd" * 32,
                               tokens=None, kind="pdf", notice="decoded as latin-1"),
                ]),
            Message(
                "assistant", "Use `quotechar`.", model="mistral-nemo:12b", status="complete",
                created_at=1_700_000_002.75,
                stats={"prompt_eval_count": 321, "eval_count": 9, "total_duration": 123456789,
                       "eval_duration": 9876543}),
            Message("user", "And for tabs?", created_at=1_700_000_003.0),
            Message("assistant", "Use delim", model="mistral-nemo:12b", status="error",
                    created_at=1_700_000_004.0, error="connection reset by peer",
                    route_reason="retry"),
        ],
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "hist" / "history.db"


@pytest.fixture
def store(db: Path):
    s = HistoryStore.open(db)
    yield s
    s.close()


# ---- round trips ------------------------------------------------------------------------

def save(s: HistoryStore, conv: Conversation) -> int:
    """What the app does: create the chat row, then add each message."""
    messages, conv.messages = conv.messages, []
    chat_id = s.create_chat(conv)
    for m in messages:
        s.add_message(chat_id, m)
        conv.messages.append(m)
    return chat_id


def test_round_trip_every_field(db: Path) -> None:
    conv = full_conversation()
    with HistoryStore.open(db) as s:
        chat_id = save(s, conv)
        assert conv.id == chat_id and all(m.id for m in conv.messages)
        with pytest.raises(StoreError, match="already saved"):
            s.add_message(chat_id, conv.messages[0])
    with HistoryStore.open(db) as s:  # a fresh connection reads what is on disk
        loaded = s.load_chat(chat_id)
    assert loaded.updated_at > conv.updated_at  # each add_message touches the chat
    assert dataclasses.replace(loaded, updated_at=conv.updated_at) == conv


def test_add_messages_one_by_one_and_chat_settings(store: HistoryStore) -> None:
    original = full_conversation()
    conv = Conversation(model="mistral-nemo")
    chat_id = store.create_chat(conv)
    for msg in original.messages:
        store.add_message(chat_id, msg)
    # The first user prompt titled the chat; later messages leave the title alone.
    assert store.load_chat(chat_id).title == title_from(original.messages[0].content)
    conv.title = ""  # an update with an empty title keeps (and reloads) the stored one
    conv.num_ctx, conv.language, conv.options = 8192, "de", {"seed": 7}
    store.update_chat(conv)
    assert conv.title == title_from(original.messages[0].content)
    loaded = store.load_chat(chat_id)
    assert (loaded.num_ctx, loaded.language, loaded.options) == (8192, "de", {"seed": 7})
    assert loaded.messages == original.messages


def test_title_from() -> None:
    assert title_from("  hello\n  world ") == "hello world"
    long = "word " * 40
    t = title_from(long)
    assert len(t) <= 60 and t.endswith("…") and not t.startswith(" ")
    assert title_from("x" * 200) == "x" * 59 + "…"


def test_chat_listing_rename_delete(store: HistoryStore) -> None:
    ids = []
    for i in range(3):
        conv = Conversation()
        ids.append(store.create_chat(conv))
        store.add_message(conv.id, Message("user", f"question {i}"))
        time.sleep(0.002)
    store.add_message(ids[0], Message("assistant", "late answer"))  # bumps chat 0 to the top
    listed = store.list_chats()
    assert [c.id for c in listed] == [ids[0], ids[2], ids[1]]
    assert [c.message_count for c in listed] == [2, 1, 1]
    assert store.most_recent_chat_id() == ids[0]
    store.rename_chat(ids[1], "Renamed")
    assert store.load_chat(ids[1]).title == "Renamed"
    gone = Message("user", "to be removed", attachments=[Attachment("f.txt", "x", 1)])
    store.add_message(ids[2], gone)
    assert store.delete_message(gone.id) is True and store.delete_message(gone.id) is False
    assert [m.content for m in store.load_chat(ids[2]).messages] == ["question 2"]
    assert store.delete_chat(ids[0]) is True and store.delete_chat(ids[0]) is False
    assert [c.id for c in store.list_chats(limit=1)] == [ids[2]]
    assert store.search("late") == []
    with pytest.raises(StoreError):
        store.load_chat(ids[0])
    assert store._conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_memory_store() -> None:
    with HistoryStore.open(":memory:") as s:
        conv = full_conversation()
        save(s, conv)
        assert dataclasses.replace(s.load_chat(conv.id), updated_at=conv.updated_at) == conv
        assert s.search("quotechar")[0].chat_id == conv.id


# ---- streaming, crashes and concurrency -------------------------------------------------

def test_incremental_update_visible_to_other_connection(db: Path) -> None:
    a = HistoryStore.open(db)
    conv = Conversation()
    a.create_chat(conv)
    a.add_message(conv.id, Message("user", "hi"))
    reply = Message("assistant", "", status="streaming")
    a.add_message(conv.id, reply)
    b = HistoryStore.open(db)  # a live writer (this process, fresh row) is left alone
    for part in ("Hel", "lo ", "there"):
        reply.content += part
        assert a.update_message(reply) is True
        assert b.load_chat(conv.id).messages[1].content == reply.content
    assert b.load_chat(conv.id).messages[1].status == "streaming"
    reply.status, reply.stats = "complete", {"eval_count": 3}
    a.update_message(reply)
    assert b.load_chat(conv.id).messages[1] == reply
    # A wrongly marked live reply puts its own status back with its next update.
    reply.status = "streaming"
    a.update_message(reply)
    assert b.mark_interrupted(stale_after=0) == 1
    assert b.load_chat(conv.id).messages[1].status == "interrupted"
    a.update_message(reply)
    assert b.load_chat(conv.id).messages[1].status == "streaming"
    b.delete_chat(conv.id)
    assert a.update_message(reply) is False
    a.close()
    b.close()


@POSIX_ONLY
def test_kill_9_during_streaming(db: Path) -> None:
    proc = subprocess.Popen([sys.executable, WRITER, "stream", str(db), "0.2"],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("ready "), first
        chat_id = int(first.split()[1])
        time.sleep(1.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    reported = [int(line.split()[1]) for line in proc.stdout if line.startswith("chunks")]
    proc.stdout.close()
    assert reported and reported[-1] >= 3
    with HistoryStore.open(db) as s:
        user, reply = s.load_chat(chat_id).messages
    assert (user.role, user.content, user.status) == ("user", USER_PROMPT, "complete")
    assert reply.status == "interrupted"
    # Every update the writer reported is there (perhaps one more it had no time to report).
    assert reply.content in (stream_text(reported[-1]), stream_text(reported[-1] + 1))


def _run_writers(args: list[list[str]], go: Path | None = None) -> list[str]:
    """Run store_writer.py processes; with ``go``, release them together once all are ready."""
    procs = [subprocess.Popen([sys.executable, WRITER, *a], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for a in args]
    if go is not None:
        for p in procs:
            assert p.stdout.readline() == "ready\n"
        go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        outs.append(out)
    return outs


def test_two_processes_writing(db: Path) -> None:
    with HistoryStore.open(db) as s:
        shared = Conversation(title="shared")
        s.create_chat(shared)
    go = db.parent / "go"
    outs = _run_writers([["bulk", str(db), tag, "200", str(shared.id), "100", str(go)]
                         for tag in ("A", "B")], go)
    own = [int(o.split()[1]) for o in outs]
    with HistoryStore.open(db) as s:
        for tag, chat_id in zip(("A", "B"), own):
            assert [m.content for m in s.load_chat(chat_id).messages] == [
                f"{tag} own {i}" for i in range(200)]
        contents = [m.content for m in s.load_chat(shared.id).messages]
        assert len(contents) == 200
        for tag in ("A", "B"):
            assert [c for c in contents if c.startswith(tag)] == [
                f"{tag} shared {i}" for i in range(100)]
        assert s._conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        if s.fts_enabled:
            assert s._conn.execute(
                "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
            ) is not None


def test_several_processes_creating_the_same_new_database(db: Path) -> None:
    outs = _run_writers([["bulk", str(db), f"P{i}", "20", "0", "0"] for i in range(4)])
    with HistoryStore.open(db) as s:
        assert len(s.list_chats()) == 4
        for o in outs:
            assert len(s.load_chat(int(o.split()[1])).messages) == 20
        assert s._conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.SCHEMA_VERSION


# ---- schema versions, damage, files ---------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE, role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '', model TEXT, status TEXT NOT NULL DEFAULT 'complete',
    created_at REAL NOT NULL, stats TEXT, error TEXT);
CREATE INDEX messages_by_chat ON messages(chat_id, id);
INSERT INTO chats VALUES (1, 'Old chat', 'mistral-nemo', 100.0, 200.0);
INSERT INTO messages VALUES (1, 1, 'user', 'What is a lighthouse?', NULL, 'complete', 101.0,
    NULL, NULL);
INSERT INTO messages VALUES (2, 1, 'assistant', 'A tower with a lamp.', 'mistral-nemo',
    'complete', 102.0, '{"eval_count": 6}', NULL);
INSERT INTO messages VALUES (3, 1, 'assistant', 'Half a rep', 'mistral-nemo', 'streaming',
    103.0, NULL, NULL);
PRAGMA user_version = 1;
"""


@pytest.mark.parametrize("fts", [True, False])
def test_migrates_version_1_database(db: Path, fts: bool) -> None:
    db.parent.mkdir()
    raw = sqlite3.connect(db)
    raw.executescript(V1_SCHEMA)
    raw.close()
    with HistoryStore.open(db, fts=fts) as s:
        assert s._conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.SCHEMA_VERSION
        conv = s.load_chat(1)
        assert (conv.title, conv.model, conv.created_at, conv.language, conv.options) == (
            "Old chat", "mistral-nemo", 100.0, "auto", {})
        assert [(m.role, m.content, m.status) for m in conv.messages] == [
            ("user", "What is a lighthouse?", "complete"),
            ("assistant", "A tower with a lamp.", "complete"),
            ("assistant", "Half a rep", "interrupted")]  # left streaming by the old version
        assert conv.messages[1].stats == {"eval_count": 6}
        assert [h.message_id for h in s.search("lighthouse")] == [1]  # old rows are indexed
        s.add_message(1, Message("user", "more", attachments=[Attachment("a.txt", "x", 1)]))
        assert s.load_chat(1).messages[-1].attachments[0].path == "a.txt"


def test_newer_schema_is_refused_and_untouched(db: Path) -> None:
    with HistoryStore.open(db) as s:
        save(s, full_conversation())
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()
    before, files = sha(db), sorted(os.listdir(db.parent))
    for opener in (HistoryStore.open, HistoryStore.open_or_recover):
        with pytest.raises(NewerSchemaError, match="newer nemo-tui"):
            opener(db)
    assert sha(db) == before and sorted(os.listdir(db.parent)) == files


def test_random_bytes_are_moved_aside(db: Path) -> None:
    db.parent.mkdir()
    junk = os.urandom(50_000)
    db.write_bytes(junk)
    with pytest.raises(CorruptDatabaseError):
        HistoryStore.open(db)
    assert db.read_bytes() == junk
    store, notice = HistoryStore.open_or_recover(db)
    moved = [p for p in db.parent.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1 and moved[0].read_bytes() == junk
    assert notice and str(moved[0]) in notice and "nothing was deleted" in notice
    conv = Conversation()
    store.create_chat(conv)
    store.add_message(conv.id, Message("user", "fresh start"))
    assert store.list_chats()[0].message_count == 1
    store.close()
    store, notice = HistoryStore.open_or_recover(db)  # a healthy file: no notice
    assert notice is None
    store.close()


def test_truncated_database_is_moved_aside(db: Path) -> None:
    with HistoryStore.open(db) as s:
        conv = Conversation()
        s.create_chat(conv)
        for i in range(300):
            s.add_message(conv.id, Message("user", f"message {i} " + "z" * 500))
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    store, notice = HistoryStore.open_or_recover(db)
    assert notice is not None and ".corrupt-" in notice
    assert store.list_chats() == []
    store.close()
    assert any(p.read_bytes() == data[: len(data) // 2]
               for p in db.parent.iterdir() if ".corrupt-" in p.name)


@POSIX_ONLY
def test_file_modes(db: Path) -> None:
    old = os.umask(0)
    try:
        with HistoryStore.open(db) as s:
            s.create_chat(Conversation())
            for name in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                assert name.stat().st_mode & 0o777 == 0o600, name
    finally:
        os.umask(old)
    assert db.parent.stat().st_mode & 0o777 == 0o700
    os.chmod(db, 0o644)  # an older, looser file is tightened
    HistoryStore.open(db).close()
    assert db.stat().st_mode & 0o777 == 0o600


def test_unusable_path_raises_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create"):
        HistoryStore.open(blocker / "history.db")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores modes")
def test_permission_denied(db: Path) -> None:
    HistoryStore.open(db).close()
    os.chmod(db, 0)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            HistoryStore.open_or_recover(db)
    finally:
        os.chmod(db, 0o600)


# ---- search and export ----------------------------------------------------------------------

@pytest.mark.parametrize("fts", [True, False])
def test_search(db: Path, fts: bool) -> None:
    with HistoryStore.open(db, fts=fts) as s:
        assert s.fts_enabled is (fts and store_schema.fts5_available())
        a, b = Conversation(title="Boats"), Conversation(title="Cooking")
        s.create_chat(a)
        s.create_chat(b)
        s.add_message(a.id, Message("user", "How do lighthouses guide ships at night?"))
        s.add_message(a.id, Message("assistant", ("Long preamble. " * 10) + "A lighthouse "
                                    "uses a rotating lamp. " + "More text. " * 10))
        s.add_message(b.id, Message("user", "Bake bread at 100% hydration_level? \"quoted\""))
        hits = s.search("lighthouse")
        assert [(h.chat_id, h.title) for h in hits] == [(a.id, "Boats")] * 2
        assert "lighthouse" in hits[0].snippet.lower() and len(hits[0].snippet) < 120
        assert [h.role for h in s.search("rotating LAMP")] == ["assistant"]
        assert s.search("lamp bread") == []
        assert [h.chat_id for h in s.search("100%")] == [b.id]
        assert [h.chat_id for h in s.search('"quoted"')] == [b.id]
        assert s.search("   ") == []
        s.search('AND OR NOT ( * " ^')  # never a syntax error
        msg = Message("assistant", "", status="streaming")
        s.add_message(a.id, msg)
        msg.content = "a reply about submarines"
        s.update_message(msg)
        assert [h.message_id for h in s.search("submarine")] == [msg.id]
        assert len(s.search("a", limit=2)) == 2
    with HistoryStore.open(db) as s:  # FTS back on: the index catches up with LIKE-era rows
        assert [h.message_id for h in s.search("submarines")] == [msg.id]


def test_export_markdown_and_json(store: HistoryStore) -> None:
    conv = full_conversation()
    save(store, conv)
    md = store.export_markdown(conv.id)
    assert md.startswith("# Parsing CSV files\n")
    for m in conv.messages:
        assert m.content in md
    assert "`src/read.py`" in md and "connection reset by peer" in md and "*error*" in md
    text = store.export_json(conv.id)
    assert json.loads(text)["format"] == "nemo-tui-chat"
    assert conversation_from_json(text) == store.load_chat(conv.id)
    copy_id = store.import_json(text)
    copy = store.load_chat(copy_id)
    assert copy_id != conv.id
    assert [(m.content, m.attachments, m.stats) for m in copy.messages] == [
        (m.content, m.attachments, m.stats) for m in conv.messages]
    with pytest.raises(StoreError):
        conversation_from_json('{"format": "something else"}')
