"""Pilot tests of the chat history in the app: saving, resuming, the chat list, search,
/export, a long chat shown lazily, and a reply that survives kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.store import HistoryStore
from nemo_tui.ui.factory import build_app
from nemo_tui.ui.widgets.attached_files import AttachedFileLine
from nemo_tui.ui.widgets.chat_view import Note
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
SIZE = (120, 40)
STATS = {"eval_count": 120, "eval_duration": 3_000_000_000, "prompt_eval_count": 42,
         "first_token_s": 0.25}


def db_path(settings) -> Path:
    return Path(settings.data_dir) / "history.db"


def seed(settings, title: str, texts: list[str], **kw) -> Conversation:
    """A saved chat: texts alternate user / assistant (replies complete, with stats)."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db_path(settings)) as store:
        conv = Conversation(title=title, model="mistral-nemo", **kw)
        store.create_chat(conv)
        for i, text in enumerate(texts):
            if i % 2 == 0:
                message = Message("user", text)
            else:
                message = Message("assistant", text, model="mistral-nemo", stats=dict(STATS))
            store.add_message(conv.id, message)
            conv.messages.append(message)
    return conv


def views(app) -> list[MessageView]:
    return list(app.query(MessageView))


def notes(app, kind: str | None = None) -> list[str]:
    return [str(n.render()) for n in app.query(Note) if kind is None or n.has_class(kind)]


def record_notifications(app) -> list[str]:
    """What the app notifies, as the user reads it (markup applied unless markup=False)."""
    from textual.content import Content

    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        markup = kwargs.get("markup", True)
        seen.append(Content.from_markup(message).plain if markup else str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


async def started(app, pilot) -> None:
    """Up and connected (the first server check is done, so quitting does not race it)."""
    await wait_for(lambda: app.status.state.connection == "online", pilot)
    await pilot.pause()


async def send(pilot, text: str) -> None:
    pilot.app.prompt.load_text(text)
    await pilot.press("enter")


async def turn_done(app, pilot, count: int) -> None:
    await wait_for(lambda: len(app.conversation.messages) == count and not app.session.running
                   and app.conversation.messages[-1].status == "complete", pilot)


# -- saving and resuming ------------------------------------------------------------------

async def test_turn_is_saved_and_resumed_with_stats_then_continues(standin, make_settings):
    settings = make_settings(standin.url)
    standin.reply_text = "Paris is the **capital**."
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "capital of France?")
        await turn_done(app, pilot, 2)
        chat_id = app.conversation.id
    assert chat_id is not None
    with HistoryStore.open(db_path(settings)) as store:
        saved = store.load_chat(chat_id)
    assert [(m.role, m.content, m.status) for m in saved.messages] == [
        ("user", "capital of France?", "complete"),
        ("assistant", "Paris is the **capital**.", "complete")]
    assert saved.messages[1].stats["eval_count"] > 0 and "first_token_s" in saved.messages[1].stats

    app = build_app(settings, resume="last")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        shown = views(app)
        assert [v.role for v in shown] == ["user", "assistant"]
        assert shown[0].source == "capital of France?"
        assert "capital" in shown[1].rendered_markdown
        footer = str(shown[1].footer.render())
        assert "tok/s" in footer and "prompt" in footer and "first token" in footer
        assert app.conversation.id == chat_id and app.prompt.has_focus
        standin.reply_text = "About two million."
        await send(pilot, "population?")
        await turn_done(app, pilot, 4)
    sent = [(m["role"], m["content"]) for m in standin.chat_requests[-1]["messages"]]
    assert sent == [("user", "capital of France?"), ("assistant", "Paris is the **capital**."),
                    ("user", "population?")]
    with HistoryStore.open(db_path(settings)) as store:
        assert [c.message_count for c in store.list_chats()] == [4]


async def test_resumed_chat_sends_attachments_again(standin, make_settings):
    settings = make_settings(standin.url)
    Path(settings.data_dir).mkdir(parents=True)
    with HistoryStore.open(db_path(settings)) as store:
        conv = Conversation(model="mistral-nemo")
        store.create_chat(conv)
        note = Attachment(path="notes.txt", content="the secret sauce\n", size=17)
        store.add_message(conv.id, Message("user", "read this", attachments=[note]))
        store.add_message(conv.id, Message("assistant", "Read it.", model="mistral-nemo"))
    app = build_app(settings, resume=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert "(+1 attached)" in str(views(app)[0].query_one(".msg-header").render())
        [line] = views(app)[0].query(AttachedFileLine)  # shown as for a live message
        assert "notes.txt" in str(line.render())
        await send(pilot, "what was in it?")
        await turn_done(app, pilot, 4)
    first = standin.chat_requests[-1]["messages"][0]
    assert first["role"] == "user"
    assert first["content"].startswith('<file path="notes.txt">\nthe secret sauce\n</file>')
    assert first["content"].endswith("read this")


async def test_continue_without_history_and_unknown_chat_id(standin, make_settings):
    settings = make_settings(standin.url)
    app = build_app(settings, resume="last")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert any("no saved chat to continue" in n for n in notes(app))
        assert app.conversation.messages == [] and views(app) == []
    seed(settings, "kept", ["hello", "hi"])
    app = build_app(settings, resume=999)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert any("no chat 999" in n for n in notes(app, "warning"))
        assert app.conversation.id is None and views(app) == []
        await send(pilot, "fresh start")
        await turn_done(app, pilot, 2)
    with HistoryStore.open(db_path(settings)) as store:
        assert sorted(c.message_count for c in store.list_chats()) == [2, 2]


async def test_new_chat_gets_its_own_row(standin, make_settings):
    settings = make_settings(standin.url)
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first chat")
        await turn_done(app, pilot, 2)
        first_id = app.conversation.id
        await send(pilot, "/new")
        await pilot.pause()
        assert app.conversation.id is None
        await send(pilot, "second chat")
        await turn_done(app, pilot, 2)
        assert app.conversation.id not in (None, first_id)
    with HistoryStore.open(db_path(settings)) as store:
        chats = store.list_chats()
    assert [(c.title, c.message_count) for c in chats] == [("second chat", 2), ("first chat", 2)]


async def test_unusable_history_warns_and_keeps_chatting(standin, make_settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    app = build_app(make_settings(standin.url, data_dir=blocker))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert any("Chat history is off" in n for n in notes(app, "warning"))
        assert app.store.path == ":memory:"
        await send(pilot, "still works?")
        await turn_done(app, pilot, 2)
        assert app.conversation.id is not None  # saved in the in-memory store

    settings = make_settings(standin.url, data_dir=tmp_path / "newer")
    Path(settings.data_dir).mkdir()
    import sqlite3
    with sqlite3.connect(db_path(settings)) as conn:
        conn.execute("PRAGMA user_version = 999")
    before = db_path(settings).read_bytes()
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert any("newer" in n and "Chat history is off" in n for n in notes(app, "warning"))
    assert db_path(settings).read_bytes() == before  # a newer version's file is left alone


async def test_damaged_database_is_moved_aside_with_a_warning(standin, make_settings):
    settings = make_settings(standin.url)
    Path(settings.data_dir).mkdir()
    db_path(settings).write_bytes(b"this is not sqlite at all" * 100)
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        warning = [n for n in notes(app, "warning") if "moved aside" in n]
        assert warning and "nothing was deleted" in warning[0]
        await send(pilot, "new history")
        await turn_done(app, pilot, 2)
    aside = [p for p in Path(settings.data_dir).iterdir() if p.name != "history.db"
             and p.name.startswith("history.db") and not p.name.endswith(("-wal", "-shm"))]
    assert aside and aside[0].read_bytes() == b"this is not sqlite at all" * 100
    with HistoryStore.open(db_path(settings)) as store:
        assert [c.title for c in store.list_chats()] == ["new history"]


# -- an interrupted reply ------------------------------------------------------------------

async def test_interrupted_reply_shows_as_such_and_retries(standin, make_settings):
    settings = make_settings(standin.url)
    conv = seed(settings, "cut off", ["tell me", "Once upon a"])
    with HistoryStore.open(db_path(settings)) as store:
        reply = conv.messages[1]
        reply.status, reply.stats = "interrupted", {}
        store.update_message(reply)
    app = build_app(settings, resume=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        footer = views(app)[-1].footer
        assert "interrupted" in str(footer.render()) and "Ctrl+R" in str(footer.render())
        assert footer.has_class("stopped")
        standin.reply_text = "Once upon a time, the end."
        await pilot.press("ctrl+r")
        await turn_done(app, pilot, 2)
        assert [v.source for v in views(app)] == ["tell me", "Once upon a time, the end."]
    with HistoryStore.open(db_path(settings)) as store:
        saved = store.load_chat(conv.id).messages
    assert [(m.content, m.status) for m in saved] == [
        ("tell me", "complete"), ("Once upon a time, the end.", "complete")]


def test_kill_9_during_a_stream_keeps_the_reply(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "app_killer.py"), str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    shown: list[tuple[float, int]] = []
    started = float("inf")
    try:
        deadline = time.monotonic() + 30
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("STREAMING"):
                started = time.monotonic()
            elif line.startswith("SHOWN"):
                _, at, chars = line.split()
                shown.append((float(at), int(chars)))
                if time.monotonic() - started >= 1.5:
                    break
            if time.monotonic() > deadline:
                break
        assert shown, f"the app never streamed: {proc.stderr.read() if proc.poll() is not None else ''}"
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)  # reaped: its pid is gone, as after a real crash
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]

    from tests.app_killer import PROMPT, REPLY
    with HistoryStore.open(data / "history.db") as store:  # opening marks the orphan
        [chat] = store.list_chats()
        user, reply = store.load_chat(chat.id).messages
    assert (user.role, user.content) == ("user", PROMPT)
    assert reply.status == "interrupted"
    assert REPLY.startswith(reply.content) and len(reply.content) < len(REPLY)
    # Saved at most once a second while streaming: what was on screen a second before the
    # kill is on disk (plus one chunk interval and scheduling slack: 0.15 s).
    earlier = [chars for at, chars in shown if at <= killed_at - 1.15]
    assert earlier, "streamed for too short a time to judge"
    assert len(reply.content) >= max(earlier) > 0


async def test_killed_reply_resumes_as_interrupted(standin, make_settings):
    settings = make_settings(standin.url)
    data = Path(settings.data_dir)
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "app_killer.py"), str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("STREAMING"):
                break
        time.sleep(1.5)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]
    app = build_app(settings, resume="last")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        reply = views(app)[-1]
        assert reply.role == "assistant" and reply.source.startswith("Sentence 0000")
        assert "interrupted" in str(reply.footer.render())
        assert app.conversation.messages[-1].status == "interrupted"


async def test_quitting_mid_reply_saves_what_arrived(standin, make_settings):
    settings = make_settings(standin.url)
    standin.reply_text = "".join(f"word{i} " for i in range(2000))
    standin.chunks_per_second = 50
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await send(pilot, "go on and on")
        await wait_for(lambda: len(app.conversation.messages) == 2
                       and len(app.conversation.messages[-1].content) > 40, pilot)
        await pilot.pause(0.3)
        on_screen = app.conversation.messages[-1].content
    with HistoryStore.open(db_path(settings)) as store:
        [chat] = store.list_chats()
        reply = store.load_chat(chat.id).messages[-1]
    assert reply.status in ("interrupted", "stopped")
    assert reply.content.startswith(on_screen) and standin.reply_text.startswith(reply.content)


async def test_a_chat_whose_only_turn_failed_leaves_no_empty_row(standin, make_settings):
    settings = make_settings(standin.url)
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        for leave in ("/new", None):  # leaving by /new, then by quitting
            standin.fail_next("status", status=500)
            await send(pilot, "this one fails")
            await wait_for(lambda: not app.session.running and app.prompt.text == "this one fails", pilot)
            assert app.conversation.messages == [] and app.conversation.id is not None
            with HistoryStore.open(db_path(settings)) as store:
                assert [c.message_count for c in store.list_chats()] == [0]
            app.prompt.load_text("")
            if leave:
                await send(pilot, leave)
                await pilot.pause()
                with HistoryStore.open(db_path(settings)) as store:
                    assert store.list_chats() == []
    with HistoryStore.open(db_path(settings)) as store:
        assert store.list_chats() == []
