"""Pilot tests: every server fault gets a clear message, and nothing typed is lost."""

from __future__ import annotations

import pytest
from textual.widgets import Button, ProgressBar

from nemo_tui.ui.screens.pull import PullScreen
from nemo_tui.ui.widgets.chat_view import Note
from tests.conftest import wait_for
from tests.standin import OllamaStandin, free_port


def notes(app, kind: str | None = None) -> list[str]:
    return [str(n.render()) for n in app.query(Note) if kind is None or n.has_class(kind)]


async def send(pilot, text: str) -> None:
    pilot.app.prompt.load_text(text)
    await pilot.press("enter")


async def test_server_down_at_start_then_up(make_app):
    port = free_port()
    server = OllamaStandin(port=port)
    app = make_app(f"http://127.0.0.1:{port}")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: app.status.state.connection == "offline", pilot)
            assert any("ollama serve" in n and "OLLAMA_HOST" in n and "--host" in n for n in notes(app, "error"))
            # Sending while offline gives the prompt back.
            await send(pilot, "are you there?")
            await wait_for(lambda: not app.session.running and app.prompt.text == "are you there?", pilot)
            assert app.conversation.messages == []
            server.start()
            await wait_for(lambda: app.status.state.connection == "online", pilot, timeout=8)
            assert any("Connected to Ollama 0.12.6" in n for n in notes(app))
            await pilot.press("enter")
            await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
    finally:
        server.stop()


async def test_missing_model_offers_pull_then_replies(standin, make_app):
    standin.remove_model("mistral-nemo")
    standin.pull_interval = 0.02
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello nemo")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        assert app.prompt.text == "hello nemo"  # kept while we pull
        assert any("not installed" in n for n in notes(app, "error"))
        await pilot.click("#pull-go")
        await wait_for(lambda: not isinstance(app.screen, PullScreen), pilot, timeout=8)
        await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
        assert app.prompt.text == ""
        assert app.conversation.messages[0].content == "hello nemo"
    assert [r.json["model"] for r in standin.requests_to("/api/pull")] == ["mistral-nemo"]


async def test_failed_pull_says_why(standin, make_app):
    standin.remove_model("mistral-nemo")
    standin.pullable = set()
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        await pilot.click("#pull-go")
        status = app.screen.query_one("#pull-status")
        await wait_for(lambda: "failed" in str(status.render()).lower(), pilot)
        assert "file does not exist" in str(status.render())
        await pilot.press("escape")
        assert app.prompt.text == "hello"


@pytest.mark.parametrize(
    "kind, expect",
    [
        ("error_line", "mid-reply"),
        ("drop", "dropped"),
    ],
)
async def test_mid_stream_fault_keeps_partial_and_prompt(standin, make_app, kind, expect):
    standin.reply_text = "alpha beta gamma delta epsilon"
    standin.fail_next(kind, after_chunks=2, message="model runner crashed")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "tell me")
        await wait_for(lambda: not app.session.running and len(app.conversation.messages) == 2, pilot)
        user, reply = app.conversation.messages
        assert user.content == "tell me"
        assert reply.status == "error" and reply.content == "alpha be"
        footer = str(list(app.views.values())[-1].footer.render())
        assert expect in footer and "Ctrl+R" in footer
        # retry replaces the failed reply with a full one
        await pilot.press("ctrl+r")
        await wait_for(lambda: app.conversation.messages[-1].status == "complete", pilot)
        assert [m.role for m in app.conversation.messages] == ["user", "assistant"]
        assert app.conversation.messages[-1].content == "alpha beta gamma delta epsilon"
        # the failed partial was not replayed to the model
        assert [m["role"] for m in standin.chat_requests[-1]["messages"]] == ["user"]


async def test_http_500_before_stream_restores_prompt(standin, make_app):
    standin.fail_next("status", status=500, message="llama runner process has terminated")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "my long careful prompt")
        await wait_for(lambda: not app.session.running and app.prompt.text, pilot)
        assert app.prompt.text == "my long careful prompt"
        assert app.conversation.messages == []
        assert any("HTTP 500" in n and "terminated" in n for n in notes(app, "error"))


async def test_slow_first_token_shows_waiting_then_streams(standin, make_app):
    standin.first_token_delay = 1.6
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "slow please")
        view = None
        await wait_for(lambda: len(app.views) == 2, pilot)
        view = list(app.views.values())[-1]
        await wait_for(lambda: "waiting for mistral-nemo — 1 s" in str(view.tail.render()), pilot)
        await wait_for(lambda: app.conversation.messages[-1].status == "complete", pilot)


async def test_no_token_within_timeout_is_a_fault(standin, make_app):
    standin.fail_next("stall", after_chunks=1)
    app = make_app(standin.url, request_timeout=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hang")
        await wait_for(lambda: not app.session.running and len(app.conversation.messages) == 2, pilot)
        reply = app.conversation.messages[-1]
        assert reply.status == "error" and "No token" in reply.error
