"""Pilot tests of model choice: auto routing, pinning, the picker, missing models and the GPU view."""

from __future__ import annotations

import pytest

from nemo_tui.core.conversation import Attachment
from nemo_tui.ui.screens.choice import ChoiceScreen
from nemo_tui.ui.screens.pull import PullScreen
from nemo_tui.ui.widgets.offer import OfferNote
from tests.conftest import wait_for
from tests.model_helpers import (LONG, app_module, footer, listed, notes, quiet_monitor, send,  # noqa: F401
                                 status_text, toasts, tokenizers, with_7b)


# -- auto routing ---------------------------------------------------------------------------------
async def test_auto_mode_routes_short_and_long_prompts_and_keeps_history(with_7b, make_app):
    standin = with_7b
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        assert app.conversation.model == "auto"
        assert "auto (nemo ↔ 7b)" in status_text(app)
        await send(pilot, "hi")
        assert standin.chat_requests[-1]["model"] == "mistral:7b"
        assert app.conversation.messages[-1].model == "mistral:7b"
        assert "auto: short prompt → mistral:7b" in footer(app)
        await send(pilot, LONG)
        body = standin.chat_requests[-1]
        assert body["model"] == "mistral-nemo"
        reason = app.conversation.messages[-1].route_reason
        assert reason.startswith("auto: long prompt (") and reason.endswith("tokens) → mistral-nemo")
        assert reason in footer(app)
        # the whole chat went to the other model
        assert [m["content"] for m in body["messages"]][:1] == ["hi"]
        assert len(body["messages"]) == 3


async def test_threshold_comes_from_settings(with_7b, make_app):
    app = make_app(with_7b.url, short_prompt_tokens=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "one two three four")
        assert with_7b.chat_requests[-1]["model"] == "mistral-nemo"
        await send(pilot, "ok")
        assert with_7b.chat_requests[-1]["model"] == "mistral:7b"


async def test_attachment_goes_to_the_main_model(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        app.pending_attachments = [Attachment("notes.txt", "tiny\n", 5)]
        await send(pilot, "hi")
        assert with_7b.chat_requests[-1]["model"] == "mistral-nemo"
        assert app.conversation.messages[-1].route_reason == "auto: attachment → mistral-nemo"


async def test_conversation_too_long_for_the_fast_model(standin, make_app):
    standin.add_model("mistral:7b", "mistral", num_ctx=1024)  # Modelfile PARAMETER num_ctx 1024
    app = make_app(standin.url, reply_reserve=64)  # the reply reserve must fit as well
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await wait_for(lambda: app.accountant.num_ctx("mistral:7b", None).value == 1024, pilot)
        standin.reply_text = "word " * 1200  # fits Nemo's 4096, not 7b's 1024
        await send(pilot, "hi")
        assert standin.chat_requests[-1]["model"] == "mistral:7b"
        standin.reply_text = "fine"
        await send(pilot, "and?")
        assert standin.chat_requests[-1]["model"] == "mistral-nemo"
        assert app.conversation.messages[-1].route_reason == (
            "auto: conversation too long for mistral:7b → mistral-nemo")


# -- pinning and the picker ------------------------------------------------------------------------
async def test_model_command_pins_and_auto_returns(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/model 7b")
        assert app.conversation.model == "mistral:7b"
        assert "mistral:7b (pinned)" in status_text(app)
        assert app.gauge_model() == "mistral:7b"
        await send(pilot, LONG)
        assert with_7b.chat_requests[-1]["model"] == "mistral:7b"
        assert app.conversation.messages[-1].route_reason == "pinned"
        await send(pilot, "/model mistral-nemo:latest")
        await wait_for(lambda: app.gauge.accounting.model == "mistral-nemo:latest", pilot)
        await send(pilot, "hi")
        assert with_7b.chat_requests[-1]["model"] == "mistral-nemo:latest"
        assert len(with_7b.chat_requests[-1]["messages"]) == 3  # history kept across the switch
        await send(pilot, "/model auto")
        await send(pilot, "hi")
        assert with_7b.chat_requests[-1]["model"] == "mistral:7b"
        assert any("Auto mode: prompts of up to 64 tokens go to mistral:7b" in n for n in notes(app))


async def test_new_chat_starts_in_auto_mode_again(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/model mistral:7b")
        await send(pilot, "/lang ja")
        assert "mistral:7b (pinned)" in status_text(app) and "reply: 日本語" in status_text(app)
        await send(pilot, "/new")
        assert app.conversation.model == "auto" and app.conversation.language == "auto"
        assert "auto (nemo ↔ 7b)" in status_text(app) and "reply:" not in status_text(app)


@pytest.mark.parametrize(
    "overrides, model, route",
    [({"model": "mistral:7b"}, "mistral:7b", "pinned"),  # --model naming the fallback: nothing to route
     ({"auto_route": False}, "mistral-nemo", "pinned"),
     ({"model": "mistral", "fallback_model": "mistral:7b"}, "mistral", "auto: short prompt → mistral:7b")],
)
async def test_settings_decide_a_new_chats_mode(with_7b, make_app, overrides, model, route):
    app = make_app(with_7b.url, **overrides)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "hi")
        assert with_7b.chat_requests[-1]["model"] == (model if route == "pinned" else "mistral:7b")
        assert app.conversation.messages[-1].route_reason == route
        if route != "pinned":
            await send(pilot, LONG)
            assert with_7b.chat_requests[-1]["model"] == model


async def test_ambiguous_model_name_keeps_the_typed_text(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/model mistral:")
        assert app.prompt.text == "/model mistral:"
        assert app.conversation.model == "auto"
        assert any("type more of the name" in t for t in toasts(app))


async def test_picker_lists_models_with_facts_and_pins_the_choice(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await pilot.press("ctrl+g")
        await wait_for(lambda: isinstance(app.screen, ChoiceScreen), pilot)
        options = app.screen.query_one("OptionList")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0].startswith("● auto") and "short prompts → 7b" in labels[0]
        nemo = next(label for label in labels if "mistral-nemo " in label)
        assert "12.2B · Q4_K_M · 6.6 GiB" in nemo
        assert any("mistral:7b" in label and "7.2B" in label for label in labels)
        index = next(i for i, label in enumerate(labels) if "mistral:7b" in label)
        options.highlighted = index
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.model == "mistral:7b", pilot)


async def test_choice_is_saved_with_the_chat(with_7b, make_app):
    app = make_app(with_7b.url)
    if getattr(app, "store", None) is None:
        pytest.skip("no history store in this build")
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "hi")
        await send(pilot, "/model mistral:7b")
        await send(pilot, "/lang de")
        stored = app.store.load_chat(app.conversation.id)
        assert (stored.model, stored.language) == ("mistral:7b", "de")


# -- missing models ------------------------------------------------------------------------------------
async def test_missing_fallback_is_noted_once_offered_and_nemo_answers(standin, make_app, monkeypatch):
    monkeypatch.setattr(app_module, "POLL_ONLINE", 0.2)
    standin.pull_interval = 0.01
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await wait_for(lambda: len(app.query(OfferNote)) == 1, pilot)
        assert "nemo only: 7b not installed" in status_text(app)
        await send(pilot, "hi")
        assert standin.chat_requests[-1]["model"] == "mistral-nemo"
        assert app.conversation.messages[-1].route_reason == "auto: mistral:7b is not installed → mistral-nemo"
        polls = len(standin.requests_to("/api/tags"))
        await wait_for(lambda: len(standin.requests_to("/api/tags")) >= polls + 3, pilot)
        assert len(app.query(OfferNote)) == 1  # said once
        await pilot.click("#offer-take")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        await pilot.click("#pull-go")
        await wait_for(lambda: not isinstance(app.screen, PullScreen), pilot, timeout=8)
        await wait_for(lambda: not app.query(OfferNote), pilot)
        await wait_for(lambda: "auto (nemo ↔ 7b)" in status_text(app), pilot)
        await send(pilot, "hi again")
        assert standin.chat_requests[-1]["model"] == "mistral:7b"
        await quiet_monitor(app, pilot, monkeypatch)
    assert [r.json["model"] for r in standin.requests_to("/api/pull")] == ["mistral:7b"]


async def test_pull_command_installs_the_fallback_and_retires_the_offer(standin, make_app):
    standin.pull_interval = 0.01
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await wait_for(lambda: len(app.query(OfferNote)) == 1, pilot)
        await send(pilot, "/pull mistral:7b")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        assert "Pull mistral:7b now?" in str(app.screen.query_one("#pull-status").render())
        await pilot.click("#pull-go")
        await wait_for(lambda: not app.query(OfferNote), pilot, timeout=8)
        assert any("mistral:7b is installed." in n for n in notes(app))
        assert app.focused is app.prompt


async def test_fast_model_removed_mid_chat_falls_back_to_main(with_7b, make_app):
    standin = with_7b
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "hi")
        assert standin.chat_requests[-1]["model"] == "mistral:7b"
        standin.remove_model("mistral:7b")
        app.prompt.load_text("still there?")
        await pilot.press("enter")
        await wait_for(lambda: len(standin.chat_requests) == 3 and not app.session.running
                       and app.conversation.messages[-1].status == "complete", pilot, timeout=8)
        assert [r["model"] for r in standin.chat_requests] == ["mistral:7b", "mistral:7b", "mistral-nemo"]
        assert any("mistral:7b is gone from the server" in n and "mistral-nemo instead" in n
                   for n in notes(app, "warning"))
        assert not isinstance(app.screen, PullScreen)
        assert [m.role for m in app.conversation.messages] == ["user", "assistant"] * 2
        assert app.conversation.messages[-2].content == "still there?"
        assert app.conversation.messages[-1].model == "mistral-nemo"
        assert app.prompt.text == ""


async def test_pinned_model_removed_offers_pull(with_7b, make_app):
    app = make_app(with_7b.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/model mistral:7b")
        with_7b.remove_model("mistral:7b")
        app.prompt.load_text("hello")
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        assert app.prompt.text == "hello"
        assert app.screen.model == "mistral:7b"


async def test_model_not_installed_offers_pull_then_pins(standin, make_app):
    standin.pull_interval = 0.01
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        await send(pilot, "/model mistral:7b-instruct")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        await pilot.press("escape")
        assert app.prompt.text == "/model mistral:7b-instruct"  # cancelled: the command is kept
        assert app.conversation.model == "auto"
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, PullScreen), pilot)
        await pilot.click("#pull-go")
        await wait_for(lambda: app.conversation.model == "mistral:7b-instruct", pilot, timeout=8)


# -- the GPU view --------------------------------------------------------------------------------------
async def test_status_shows_loaded_models_and_a_partial_gpu_split(standin, make_app, monkeypatch):
    monkeypatch.setattr(app_module, "POLL_ONLINE", 0.2)
    app = make_app(standin.url)
    async with app.run_test(size=(160, 40)) as pilot:
        await listed(app, pilot)
        assert app.status.state.gpu == "no model loaded"
        entry = standin.load("mistral-nemo", context_length=8192)
        standin.load("mistral-nemo", size_vram=int(entry["size"] * 0.62), context_length=8192)
        await wait_for(lambda: "GPU 62% / CPU 38%" in app.status.state.gpu, pilot)
        assert app.status.state.gpu == "nemo GPU 62% / CPU 38% 8k ctx"
        assert app.status.state.gpu_warning
        assert "nemo GPU 62% / CPU 38% 8k ctx" in status_text(app)
        shown = app.status.render()
        warned = [shown.plain[span.start:span.end] for span in shown.spans if "$warning" in str(span.style)]
        assert warned == ["nemo GPU 62% / CPU 38% 8k ctx"]  # in the warning colour
        standin.load("mistral-nemo", context_length=4096)
        await wait_for(lambda: app.status.state.gpu == "GPU 100%: nemo 4k ctx", pilot)
        assert not app.status.state.gpu_warning
        await quiet_monitor(app, pilot, monkeypatch)


async def test_server_away_keeps_the_app_alive(with_7b, make_app, monkeypatch):
    standin = with_7b
    monkeypatch.setattr(app_module, "POLL_OFFLINE", 0.1)
    monkeypatch.setattr(app_module, "POLL_ONLINE", 0.1)
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(app, pilot)
        standin.stop()
        await wait_for(lambda: app.status.state.connection == "offline", pilot, timeout=10)
        await send(pilot, "/model mistral:7b")  # switching still works offline
        assert app.conversation.model == "mistral:7b"
        await quiet_monitor(app, pilot, monkeypatch)
