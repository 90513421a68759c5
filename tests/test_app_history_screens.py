"""Pilot tests of the history screens and commands: the chat list (open, rename, delete),
/rename, /search, /export, and a 1,000-message chat shown lazily."""

from __future__ import annotations

import json
import time

from textual.widgets import DataTable, Input

from nemo_tui.core.store import HistoryStore
from nemo_tui.ui.factory import build_app
from nemo_tui.ui.screens.chats import ChatListScreen, ConfirmScreen, RenameScreen
from nemo_tui.ui.screens.search import SearchScreen
from nemo_tui.ui.widgets.hidden_messages import HiddenMessages
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for
from tests.test_app_history import (SIZE, db_path, record_notifications, seed, send, started,
                                    turn_done, views)

MIXED = ("Here is **bold** text with `code` in it, then a list:\n\n- the first item\n"
         "- the second item\n\n```python\nprint('hello')\n```\n\nA closing paragraph. ")


def long_texts(n: int) -> list[str]:
    return [f"#{i} " + (MIXED * 2)[:400] for i in range(n)]


def chat_ids(settings) -> list[int]:
    with HistoryStore.open(db_path(settings)) as store:
        return [c.id for c in store.list_chats()]


def table_titles(screen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_chat_list_opens_renames_and_deletes(standin, make_settings):
    settings = make_settings(standin.url)
    a = seed(settings, "Alpha chat", ["alpha question", "alpha answer"])
    b = seed(settings, "Beta [bold]chat[/]", ["beta question", "beta answer"])
    c = seed(settings, "Gamma chat", ["gamma question", "gamma answer"])
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+l")
        await wait_for(lambda: isinstance(app.screen, ChatListScreen), pilot)
        screen = app.screen
        assert table_titles(screen) == ["Gamma chat", "Beta [bold]chat[/]", "Alpha chat"]
        await pilot.press("down", "enter")  # open Beta
        await wait_for(lambda: app.conversation.id == b.id, pilot)
        assert not isinstance(app.screen, ChatListScreen)
        assert [v.source for v in views(app)] == ["beta question", "beta answer"]

        await send(pilot, "/chats")  # the same list, by command; the open chat is selected
        await wait_for(lambda: isinstance(app.screen, ChatListScreen), pilot)
        screen = app.screen
        assert screen.selected().id == b.id
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, RenameScreen), pilot)
        app.screen.query_one(Input).value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RenameScreen)  # an empty title is refused, in words
        assert "cannot be empty" in str(app.screen.query_one("#rename-error").render())
        app.screen.query_one(Input).value = "Renamed  beta"
        await pilot.press("enter")
        await wait_for(lambda: app.screen is screen, pilot)
        assert "Renamed beta" in table_titles(screen)
        assert app.conversation.title == "Renamed beta"

        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        assert "Renamed beta" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("enter")  # Cancel has the focus: nothing is deleted
        await wait_for(lambda: app.screen is screen, pilot)
        assert sorted(chat_ids(settings)) == sorted([a.id, b.id, c.id])
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await wait_for(lambda: app.screen is screen and len(table_titles(screen)) == 2, pilot)
        assert sorted(chat_ids(settings)) == sorted([a.id, c.id])
        assert app.conversation.id is None and views(app) == []  # the open chat went: new one
        await pilot.press("ctrl+l")  # toggles the list closed
        await wait_for(lambda: not isinstance(app.screen, ChatListScreen), pilot)


async def test_rename_command(standin, make_settings):
    settings = make_settings(standin.url)
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        seen = record_notifications(app)
        await send(pilot, "/rename Before the first message")
        await send(pilot, "hello there")
        await turn_done(app, pilot, 2)
        await send(pilot, "/rename  Trip   to [b]Lisbon[/b] ")
        await pilot.pause()
        await send(pilot, "/rename")
        await pilot.pause()
        assert any("Usage: /rename TITLE" in s for s in seen)
        assert app.prompt.text == "/rename"  # kept to fix
    with HistoryStore.open(db_path(settings)) as store:
        assert [c.title for c in store.list_chats()] == ["Trip to [b]Lisbon[/b]"]


async def test_search_opens_the_chat_at_a_far_message(standin, make_settings):
    settings = make_settings(standin.url)
    texts = long_texts(200)
    texts[5] = "We talked about the zebra crossing near the station."
    far = seed(settings, "Long chat", texts)
    seed(settings, "Other chat", ["nothing here", "nor here"])
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await send(pilot, "/search zebra")
        await wait_for(lambda: isinstance(app.screen, SearchScreen), pilot)
        assert app.screen.query_one(DataTable).row_count == 1
        started_at = time.monotonic()
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.id == far.id, pilot, timeout=15)
        hit = app.conversation.messages[5]
        await wait_for(lambda: id(hit) in app.views, pilot, timeout=15)
        view = app.views[id(hit)]
        await wait_for(lambda: app.chat.region.contains_region(view.region), pilot, timeout=15)
        # Mounting the 195 messages from the hit down would take ~15 s (0.08 s each).
        assert time.monotonic() - started_at < 8
        assert view.has_class("search-hit")
        assert len(views(app)) < 60  # a window around the hit, not everything after it
        controls = app.hidden_controls()
        assert [c.upward for c in controls] == [True, False]
        assert len(controls[0].messages) == 3  # two messages of context above the hit
        # The newest messages stay at the bottom, where the next reply goes.
        assert views(app)[-1].source == texts[-1]
        gap = controls[1]
        before = len(gap.messages)
        await app.load_hidden(gap)
        assert 0 < len(gap.messages) < before
        # A search with no hit, and one with no words, say so.
        seen = record_notifications(app)
        await send(pilot, "/search okapi")
        await send(pilot, "/search")
        await pilot.pause()
        assert any("No saved message contains “okapi”" in s for s in seen)
        assert any("Usage: /search TEXT" in s for s in seen)


async def test_search_hit_near_the_end_loads_contiguously(standin, make_settings):
    settings = make_settings(standin.url)
    texts = long_texts(60)
    texts[40] = "the quokka is a small marsupial"
    conv = seed(settings, "Quokkas", texts)
    app = build_app(settings, resume=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert await app.open_chat(conv.id, conv.messages[40].id)
        await pilot.pause()
        assert [c.upward for c in app.hidden_controls()] == [True]
        shown = [v.source for v in views(app)]
        assert shown == [m.content for m in app.conversation.messages[-len(shown):]]
        assert "the quokka is a small marsupial" in shown


async def test_export_markdown_and_json(standin, make_settings, tmp_path, monkeypatch):
    settings = make_settings(standin.url)
    standin.reply_text = "A *reply* with [brackets] and \x1b[2J escapes."
    monkeypatch.chdir(tmp_path)
    app = build_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        seen = record_notifications(app)
        await send(pilot, "/export")
        await pilot.pause()
        assert any("Nothing to export yet" in s for s in seen)
        await send(pilot, "What is a KV cache?")
        await turn_done(app, pilot, 2)
        chat_id = app.conversation.id
        await send(pilot, "/export")
        await send(pilot, f"/export {tmp_path}/out.json")
        await send(pilot, f"/export '{tmp_path}/with space' --format json")
        await send(pilot, f"/export {tmp_path}/missing/dir/x.md")
        await send(pilot, f"/export {tmp_path}/[x]/[/]y.md")  # brackets are shown as typed
        await send(pilot, "/export x.md --format pdf")
        await pilot.pause()
        assert app.prompt.text == "/export x.md --format pdf"  # kept to fix
        notes = [str(n.render()) for n in app.chat.query("Note")]
    md = tmp_path / f"what-is-a-kv-cache-{chat_id}.md"
    assert md.exists(), sorted(p.name for p in tmp_path.iterdir())
    text = md.read_text()
    assert text.startswith("# What is a KV cache?")
    assert "What is a KV cache?" in text and "A *reply* with [brackets] and \x1b[2J escapes." in text
    assert any(str(md) in n and "Markdown" in n for n in notes)
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["format"] == "nemo-tui-chat"
    assert [m["content"] for m in doc["chat"]["messages"]][1] == standin.reply_text
    assert json.loads((tmp_path / "with space").read_text())["chat"]["id"] == chat_id
    assert any("missing/dir" in s and "does not exist" in s for s in seen)
    assert any("Unknown export format 'pdf'" in s for s in seen)
    assert any(f"{tmp_path}/[x]/[/]y.md" in s for s in seen)
    assert not (tmp_path / "x.md").exists()


async def test_resume_a_thousand_messages_quickly_then_load_more(standin, make_settings):
    settings = make_settings(standin.url)
    conv = seed(settings, "Very long chat", long_texts(1000))
    began = time.perf_counter()
    app = build_app(settings, resume="last")
    async with app.run_test(size=SIZE) as pilot:
        last = app.conversation.messages[-1]
        await wait_for(lambda: app.prompt.has_focus and id(last) in app.views
                       and app.chat.region.overlaps(app.views[id(last)].region), pilot)
        usable = time.perf_counter() - began
        assert usable < 1.0, f"resuming took {usable:.2f} s"
        assert len(views(app)) < 30  # what fills the screen first
        [control] = app.hidden_controls()
        await wait_for(lambda: len(views(app)) == 30, pilot)  # the rest of the first page
        assert str(control.label) == "▲ 970 earlier messages — load more"
        app.chat.scroll_home(animate=False)
        await pilot.pause()
        oldest = views(app)[0]
        on_screen_at = oldest.region.y
        await pilot.click(HiddenMessages)
        await wait_for(lambda: len(views(app)) == 60, pilot, timeout=20)
        assert str(control.label) == "▲ 940 earlier messages — load more"
        shown = [v.source for v in app.query(MessageView)]
        assert shown == [m.content for m in app.conversation.messages[940:]]
        # The place was kept: what was on screen stays put, the new page is above it.
        await wait_for(lambda: oldest.region.y == on_screen_at, pilot)
        assert app.chat.scroll_y > 0
    assert conv.id == app.conversation.id
