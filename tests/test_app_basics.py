"""Pilot tests: prompt keys, paste, commands, palette, scrolling."""

from __future__ import annotations

from textual import events

from nemo_tui.ui.screens.help import HelpScreen
from tests.conftest import wait_for


async def test_shift_enter_and_ctrl_j_insert_newlines(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "shift+enter", "b", "ctrl+j", "c")
        assert app.prompt.text == "a\nb\nc"
        assert standin.chat_requests == []
        await pilot.press("enter")
        await wait_for(lambda: standin.chat_requests, pilot)
        assert standin.chat_requests[-1]["messages"][-1]["content"] == "a\nb\nc"


async def test_pasting_a_large_block_does_not_send(standin, make_app):
    app = make_app(standin.url)
    block = "\n".join(f"line {i}: some pasted code()" for i in range(3000))
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(events.Paste(block))  # as the driver delivers it
        await pilot.pause(0.2)
        assert app.prompt.text == block
        assert standin.chat_requests == []


async def test_up_recalls_earlier_prompts(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        for text in ("first", "second"):
            app.prompt.load_text(text)
            await pilot.press("enter")
            await wait_for(lambda: not app.session.running and len(standin.chat_requests) >= 1, pilot)
            await wait_for(lambda: app.conversation.messages[-1].status == "complete", pilot)
        await pilot.press("up")
        assert app.prompt.text == "second"
        await pilot.press("up")
        assert app.prompt.text == "first"
        await pilot.press("down", "down")
        assert app.prompt.text == ""


async def test_help_new_and_unknown_command(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        app.prompt.load_text("hello")
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
        await pilot.press("f1")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        await pilot.press("escape")
        app.prompt.load_text("/new")
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages == [], pilot)
        assert not app.views
        app.prompt.load_text("/frobnicate now")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.prompt.text == "/frobnicate now"  # kept, to fix


async def test_palette_lists_every_slash_command(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for command in app.registry:
            assert f"/{command.name}" in titles


async def test_view_follows_the_reply_until_the_user_scrolls_up(standin, make_app):
    standin.reply_text = "\n\n".join(f"Paragraph {i} with several words in it." for i in range(60))
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        app.prompt.load_text("long please")
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages[-1].status == "complete", pilot)
        await pilot.pause(0.2)
        chat = app.chat
        assert chat.max_scroll_y > 0 and chat.scroll_y == chat.max_scroll_y
        chat.scroll_to(y=0, animate=False)
        await pilot.pause(0.1)
        standin.reply_text = "more text " * 200
        app.prompt.load_text("again")
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages[-1].status == "complete" and len(app.conversation.messages) == 4, pilot)
        await pilot.pause(0.2)
        assert chat.scroll_y < chat.max_scroll_y  # the user's position was respected
