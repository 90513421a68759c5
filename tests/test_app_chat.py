"""Pilot tests of the foundation: a turn, its stats, stopping, and model output as data."""

from __future__ import annotations

from nemo_tui.ui.widgets.chat_view import Note
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for


def replies(app) -> list[MessageView]:
    return [v for v in app.query(MessageView) if v.role == "assistant"]


async def send(pilot, text: str) -> None:
    pilot.app.prompt.load_text(text)
    await pilot.press("enter")


async def test_send_streams_reply_with_stats(standin, make_app):
    standin.reply_text = "Hello **there**, this is a reply."
    standin.load_duration = 2_500_000_000
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
        reply = app.conversation.messages[-1]
        assert reply.content == "Hello **there**, this is a reply."
        view = replies(app)[-1]
        await pilot.pause(0.1)
        assert "Hello there, this is a reply." in view.rendered_markdown.replace("**", "")
        footer = str(view.footer.render())
        assert "tok/s" in footer and "prompt" in footer and "first token" in footer
        assert "model load 2.5 s" in footer
        assert app.prompt.text == ""
    body = standin.chat_requests[-1]
    assert body["stream"] is True
    assert body["messages"][-1] == {"role": "user", "content": "hi"}
    assert body["model"] == "mistral-nemo"


async def test_second_turn_sends_full_history(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        standin.reply_text = "first answer"
        await send(pilot, "one")
        await wait_for(lambda: len(standin.chat_requests) == 1 and not app.session.running, pilot)
        standin.reply_text = "second answer"
        await send(pilot, "two")
        await wait_for(lambda: len(standin.chat_requests) == 2 and not app.session.running, pilot)
    roles = [(m["role"], m["content"]) for m in standin.chat_requests[-1]["messages"]]
    assert roles == [("user", "one"), ("assistant", "first answer"), ("user", "two")]


async def test_escape_stops_and_keeps_partial(standin, make_app):
    standin.fail_next("stall", after_chunks=3)
    standin.reply_text = "one two three four five six seven eight"
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: standin.chunks_sent >= 3 and app.conversation.messages[-1].content, pilot)
        await pilot.pause(0.2)
        await pilot.press("escape")
        await wait_for(lambda: not app.session.running, pilot)
        reply = app.conversation.messages[-1]
        assert reply.status == "stopped"
        assert reply.content == "one two thre"
        assert "stopped" in str(replies(app)[-1].footer.render())
        assert standin.wait_cancelled(1, timeout=2.0), "the HTTP stream was not closed"


async def test_markup_and_escapes_in_reply_are_data(standin, make_app):
    nasty = "[bold red]not bold[/] and [/] \x1b]52;c;SGVsbG8=\x07 then \x1b[2J done"
    standin.reply_text = nasty
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "be nasty")
        await wait_for(lambda: not app.session.running and app.conversation.messages[-1].status == "complete", pilot)
        await pilot.pause(0.2)
        view = replies(app)[-1]
        shown = view.rendered_markdown
        assert "[bold red]not bold[/]" in shown
        assert "\x1b" not in shown and "␛]52;c;SGVsbG8=␇" in shown
        # the stored message keeps the model's exact text
        assert app.conversation.messages[-1].content == nasty
        svg = app.export_screenshot()
        assert "not bold[/]" in svg.replace("&#160;", " ")
