"""Pilot tests of the context gauge: live counts, num_ctx in force, drops, overflow, prediction."""

from __future__ import annotations

import pytest

from nemo_tui.core.conversation import Message
from nemo_tui.core.tokens import counter_for
from nemo_tui.ui.screens.breakdown import BreakdownScreen
from nemo_tui.ui.screens.overflow import OverflowScreen
from tests.conftest import wait_for
from tests.standin import tekken_prompt_count


@pytest.fixture(scope="module")
def tekken():
    counter = counter_for("mistral-nemo")
    counter.load()
    return counter


async def ready(app, pilot):
    await wait_for(lambda: app.gauge.accounting is not None and app.gauge.accounting.ready, pilot, timeout=10)


async def test_gauge_counts_the_draft_as_typed(standin, make_app, tekken):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        empty = app.gauge.accounting.budget.total
        assert empty == 1024  # only the reply reserve
        await pilot.press(*"Bonjour, comment ça va ?")
        await wait_for(lambda: app.gauge.accounting.budget.draft > 0, pilot)
        expected = tekken.count_request([{"role": "user", "content": "Bonjour, comment ça va ?"}])
        assert app.gauge.accounting.budget.total == expected + 1024
        assert f"{expected + 1024:,} / 4,096 tokens" in str(app.gauge.render())


async def test_prediction_matches_server_count(standin, make_app, tekken):
    standin.prompt_eval_count = tekken_prompt_count  # what a real Ollama reports
    app = make_app(standin.url, system_prompt="Answer briefly.")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        for prompt in ("first question", "second — with ünïcödé and 中文"):
            app.prompt.load_text(prompt)
            await pilot.press("enter")
            await wait_for(lambda: not app.session.running and app.conversation.messages[-1].status == "complete", pilot)
        reply = app.conversation.messages[-1]
        assert reply.predicted_prompt_tokens == reply.stats["prompt_eval_count"]
        assert "= predicted ✓" in app.gauge.last_check


async def test_ctx_command_sends_num_ctx_and_moves_the_gauge(standin, make_app, tekken):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.prompt.load_text("/ctx 32k")
        await pilot.press("enter")
        await wait_for(lambda: app.gauge.accounting.num_ctx.value == 32768, pilot)
        assert app.gauge.accounting.num_ctx.source == "set with /ctx"
        # the KV cost appears once /api/show has told us the model's shape
        await wait_for(lambda: "KV 5.0 GiB" in str(app.gauge.render()), pilot)
        app.prompt.load_text("hello")
        await pilot.press("enter")
        await wait_for(lambda: standin.chat_requests, pilot)
        assert standin.chat_requests[-1]["options"]["num_ctx"] == 32768
        app.prompt.load_text("/ctx lots")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.prompt.text == "/ctx lots"  # a bad value keeps what was typed


async def test_num_ctx_source_from_modelfile_and_clamping(standin, make_app, tekken):
    standin.set_parameters("mistral-nemo", num_ctx=16384)
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: app.gauge.accounting is not None and app.gauge.accounting.num_ctx.value == 16384, pilot, timeout=10)
        assert app.gauge.accounting.num_ctx.source == "Modelfile PARAMETER num_ctx"
        app.prompt.load_text("/ctx 2048k")
        await pilot.press("enter")
        await wait_for(lambda: app.gauge.accounting.num_ctx.clamped, pilot)
        assert app.gauge.accounting.num_ctx.value == 1024000


async def test_messages_outside_window_are_marked(standin, make_app, tekken):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.prompt.load_text("/ctx 1024")
        await pilot.press("enter")
        long = "word " * 300
        for n in range(4):
            app.conversation.messages += [Message("user", f"q{n} {long}"), Message("assistant", f"a{n} {long}")]
            await app.show_message(app.conversation.messages[-2])
            await app.show_message(app.conversation.messages[-1])
        app.refresh_gauge()
        await pilot.pause(0.1)
        dropped = app.gauge.accounting.dropped
        assert dropped and dropped[0] is app.conversation.messages[0]
        assert app.conversation.messages[-1] not in dropped
        first_view = app.views[id(app.conversation.messages[0])]
        assert first_view.has_class("not-seen")
        assert "not seen by the model" in str(first_view.query_one(".msg-header").render())
        assert "silently drop" in str(app.gauge.render())


async def test_overflow_asks_and_raises_num_ctx(standin, make_app, tekken):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.prompt.load_text("many words " * 2500)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, OverflowScreen), pilot)
        assert standin.chat_requests == []
        await pilot.click("#raise")
        await wait_for(lambda: standin.chat_requests, pilot)
        sent = standin.chat_requests[-1]["options"]["num_ctx"]
        assert sent == app.conversation.num_ctx and sent % 1024 == 0 and sent > 4096


async def test_overflow_cancel_keeps_prompt(standin, make_app, tekken):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        text = "many words " * 2500
        app.prompt.load_text(text)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, OverflowScreen), pilot)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.prompt.text == text and standin.chat_requests == []


async def test_breakdown_shows_sources_and_both_tokenizers(standin, make_app, tekken):
    counter_for("mistral:7b").load()
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.prompt.load_text("こんにちは、元気ですか？")
        await app.cmd_context("")
        await wait_for(lambda: isinstance(app.screen, BreakdownScreen), pilot)
        text = str(app.screen.query_one("#breakdown").render())
        assert "num_ctx" in text and "Tekken (exact) — mistral-nemo" in text
        assert "SentencePiece v3 (exact) — mistral:7b" in text
