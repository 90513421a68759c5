"""Pilot tests of a chat's request settings and model tools: /lang, /system, /set reaching the
request, /compare, /show, and /context's draft under both tokenizers."""

from __future__ import annotations

import pytest

from nemo_tui.core.tokens import counter_for
from nemo_tui.ui.screens.breakdown import BreakdownScreen
from nemo_tui.ui.screens.choice import ChoiceScreen
from nemo_tui.ui.screens.compare import CompareScreen
from nemo_tui.ui.screens.system_prompt import SystemPromptScreen
from nemo_tui.ui.screens.text_screen import TextScreen
from tests.conftest import wait_for
from tests.model_helpers import footer, listed, send, status_text, toasts, tokenizers, with_7b  # noqa: F401


# -- what the request carries ------------------------------------------------------------------------
async def test_request_carries_language_system_prompt_and_options(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        for command in ("/lang fr", "/system Be brief.", "/set temperature 0.3", "/set parameter seed 7",
                        "/set num_predict 200"):
            await send(pilot, command)
        assert "reply: Français" in status_text(app)
        await send(pilot, "hello")
        body = standin.chat_requests[-1]
        system = body["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith("Be brief.\n\n")
        assert "Always answer in French (Français)" in system["content"]
        assert body["options"] == {"temperature": 0.3, "seed": 7, "num_predict": 200}
        await send(pilot, "/set temperature default")
        await send(pilot, "/system clear")
        await send(pilot, "/lang auto")
        await send(pilot, "again")
        body = standin.chat_requests[-1]
        assert body["options"] == {"seed": 7, "num_predict": 200}
        assert body["messages"][0]["role"] == "user"
        assert "reply:" not in status_text(app)


@pytest.mark.parametrize(
    "typed, message",
    [("/set temperature -1", "≥ 0"), ("/set top_p 0", "above 0"), ("/set seed 1.5", "whole number"),
     ("/set num_predict -3", "≥ -2"), ("/set mirostat 2", "Unknown parameter"),
     ("/lang klingon", "not a language"), ("/set temperature", "needs a value")],
)
async def test_bad_values_keep_the_typed_text(standin, make_app, typed, message):
    app = make_app(standin.url, temperature=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, typed)
        assert app.prompt.text == typed
        assert any(message in t for t in toasts(app)), toasts(app)
        assert app.conversation.options == {"temperature": 0.5}
        assert app.conversation.language == "auto"


async def test_system_editor_and_language_picker(standin, make_app):
    app = make_app(standin.url, system_prompt="old prompt")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "/system")
        await wait_for(lambda: isinstance(app.screen, SystemPromptScreen), pilot)
        area = app.screen.query_one("TextArea")
        assert area.text == "old prompt"
        area.load_text("You are a [bold]careful[/] assistant.\nAnswer in one line.")
        await pilot.press("ctrl+s")
        await wait_for(lambda: not isinstance(app.screen, SystemPromptScreen), pilot)
        assert app.conversation.system_prompt == "You are a [bold]careful[/] assistant.\nAnswer in one line."
        await send(pilot, "/system")
        await wait_for(lambda: isinstance(app.screen, SystemPromptScreen), pilot)
        await pilot.press("escape")
        assert app.conversation.system_prompt.startswith("You are")  # Esc changes nothing
        await send(pilot, "/lang")
        await wait_for(lambda: isinstance(app.screen, ChoiceScreen), pilot)
        options = app.screen.query_one("OptionList")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0].startswith("● Auto") and any("Deutsch" in label and "German · de" in label for label in labels)
        options.highlighted = next(i for i, label in enumerate(labels) if "Deutsch" in label)
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.language == "de", pilot)
        assert "reply: Deutsch" in status_text(app)


# -- /compare -------------------------------------------------------------------------------------------
async def test_compare_shows_both_replies_with_stats_and_keeps_one(with_7b, make_app):
    standin = with_7b
    standin.reply_text = lambda body: f"**{body['model']}** says [red]hello[/]"
    standin.load_duration = 1_200_000_000
    app = make_app(standin.url)
    async with app.run_test(size=(140, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "first")
        history = list(app.conversation.messages)
        await send(pilot, "/compare Tell me a joke")
        await wait_for(lambda: isinstance(app.screen, CompareScreen), pilot)
        screen = app.screen
        await wait_for(lambda: all(screen.results), pilot, timeout=8)
        await pilot.pause(0.2)
        left, right = screen.views
        assert "mistral-nemo** says [red]hello[/]" in left.rendered_markdown
        assert "mistral:7b** says [red]hello[/]" in right.rendered_markdown
        for view in (left, right):
            figures = str(view.footer.render())
            for part in ("tokens", "tok/s", "first token", "model load 1.2 s"):
                assert part in figures, figures
        requests = standin.chat_requests[-2:]
        assert [r["model"] for r in requests] == ["mistral-nemo", "mistral:7b"]
        for body in requests:
            assert [m["content"] for m in body["messages"]] == ["first", history[1].content, "Tell me a joke"]
        assert app.conversation.messages == history  # the chat is unchanged
        await pilot.press("2")
        await wait_for(lambda: not isinstance(app.screen, CompareScreen), pilot)
        assert len(app.conversation.messages) == 4
        kept = app.conversation.messages[-1]
        assert kept.model == "mistral:7b" and kept.content == "**mistral:7b** says [red]hello[/]"
        assert app.conversation.messages[-2].content == "Tell me a joke"
        assert "kept from /compare" in footer(app)


async def test_compare_closes_without_touching_the_chat(with_7b, make_app):
    with_7b.chunks_per_second = 20
    with_7b.reply_text = "a slow reply " * 20
    app = make_app(with_7b.url)
    async with app.run_test(size=(140, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/compare mistral:7b,mistral-nemo hello")
        await wait_for(lambda: isinstance(app.screen, CompareScreen) and with_7b.chunks_sent > 2, pilot)
        assert app.screen.models == ("mistral:7b", "mistral-nemo")
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, CompareScreen), pilot)
        assert with_7b.wait_cancelled(1, timeout=2.0)
        assert app.conversation.messages == []


async def test_compare_with_a_missing_model_says_so(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/compare why is the sky blue")
        assert app.prompt.text == "/compare why is the sky blue"
        assert any("mistral:7b not installed" in t for t in toasts(app))


# -- /show and /context -------------------------------------------------------------------------------------
async def test_show_renders_details_parameters_and_template_as_text(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/set temperature 0.2")
        await send(pilot, "/show")
        await wait_for(lambda: isinstance(app.screen, TextScreen), pilot)
        text = str(app.screen.query_one("#text-body").render())
        for part in ("mistral-nemo", "12.2B", "Q4_K_M", "1,024,000 tokens", 'stop', '"[INST]"',
                     "temperature     0.2", "[AVAILABLE_TOOLS]{{ $.Tools }}[/AVAILABLE_TOOLS]", "Apache License"):
            assert part in text, part
        await pilot.press("escape")
        await send(pilot, "/show llama-none")
        assert any("/show llama-none" in t and "not installed" in t for t in toasts(app))


async def test_context_breakdown_shows_the_draft_under_both_tokenizers(standin, make_app):
    draft = "日本語のテキストを数えます。Bonjour, comment ça va aujourd'hui ?"
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        app.prompt.load_text(draft)
        await app.cmd_context("")
        await wait_for(lambda: isinstance(app.screen, BreakdownScreen), pilot)
        text = str(app.screen.query_one("#breakdown").render())
        tekken = counter_for("mistral-nemo").count_text(draft)
        spm = counter_for("mistral:7b").count_text(draft)
        assert tekken < spm  # Tekken's advantage on non-English text
        assert f"{tekken:>9,}  Tekken (exact) — mistral-nemo" in text
        assert f"{spm:>9,}  SentencePiece v3 (exact) — mistral:7b" in text
