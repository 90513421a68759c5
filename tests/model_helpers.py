"""Shared pieces of the model-choice pilot tests (test_app_models*.py): fixtures and helpers."""

from __future__ import annotations

import pytest

import nemo_tui.ui.app as app_module
from nemo_tui.core.tokens import counter_for
from nemo_tui.ui.widgets.chat_view import Note
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for

LONG = " ".join(["Explain in detail how the tokenizer handles this sentence."] * 12)


@pytest.fixture(scope="module", autouse=True)
def tokenizers():
    for name in ("mistral-nemo", "mistral:7b"):
        counter_for(name).load()


@pytest.fixture
def with_7b(standin):
    standin.add_model("mistral:7b", "mistral")
    return standin


def notes(app, kind: str | None = None) -> list[str]:
    return [str(n.render()) for n in app.query(Note) if kind is None or n.has_class(kind)]


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def footer(app) -> str:
    views = [v for v in app.query(MessageView) if v.role == "assistant"]
    return str(views[-1].footer.render())


def status_text(app) -> str:
    return str(app.status.render())


async def listed(app, pilot) -> None:
    """The first poll has listed the models."""
    await wait_for(lambda: app.installed is not None and app._ps_known, pilot, timeout=10)


async def send(pilot, text: str) -> None:
    app = pilot.app
    before = len(app.conversation.messages)
    app.prompt.load_text(text)
    await pilot.press("enter")
    if not text.startswith("/"):
        await wait_for(lambda: len(app.conversation.messages) >= before + 2 and not app.session.running
                       and app.conversation.messages[-1].status == "complete", pilot, timeout=8)
    else:
        await pilot.pause(0.05)


async def quiet_monitor(app, pilot, monkeypatch) -> None:
    """Slow the fast polls a test asked for back down before the app closes: a poll running
    while the screen is torn down fails on the status line (a teardown race in the monitor)."""
    monkeypatch.setattr(app_module, "POLL_ONLINE", 30.0)
    monkeypatch.setattr(app_module, "POLL_OFFLINE", 30.0)
    await pilot.pause(0.6)
