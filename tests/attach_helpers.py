"""Shared by the /attach pilot tests: fixtures, file makers, and ways to drive the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events

from nemo_tui.core.tokens import counter_for
from nemo_tui.ui.widgets.attachments_bar import Chip
from nemo_tui.ui.widgets.chat_view import Note
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture(scope="module")
def tekken():
    counter = counter_for("mistral-nemo")
    counter.load()
    return counter


def notes(app, kind: str | None = None) -> list[str]:
    return [str(n.render()) for n in app.query(Note) if kind is None or n.has_class(kind)]


def chips(app) -> list[str]:
    return [str(c.render()) for c in app.query(Chip)]


async def command(pilot, text: str) -> None:
    pilot.app.prompt.load_text(text)
    pilot.app.prompt.focus()
    await pilot.press("enter")


async def attach(pilot, args: str, notes_before: int | None = None) -> None:
    """Run /attach and wait until it has reported (a new note)."""
    app = pilot.app
    before = len(notes(app)) if notes_before is None else notes_before
    await command(pilot, f"/attach {args}")
    await wait_for(lambda: app.attach_book.job is None and len(notes(app)) > before, pilot, timeout=20)
    await pilot.pause(0.05)


def user_views(app) -> list[MessageView]:
    return [v for v in app.query(MessageView) if v.role == "user"]


async def ready(app, pilot) -> None:
    """The server's facts are in and the tokenizer is loaded."""
    await wait_for(lambda: app.accountant.facts_for("mistral-nemo").show is not None
                   and app.accountant.counter("mistral-nemo").ready, pilot, timeout=15)


def big_text(words: int) -> str:
    return "\n".join(f"line {i}: the quick brown fox jumps over the lazy dog" for i in range(words // 10))


def many_files(root: Path, n: int, size: int = 40) -> Path:
    """n text files of about `size` bytes, 100 per folder."""
    line = "def f(x):  # some code to count\n"
    for i in range(n):
        d = root / f"d{i // 100:02}"
        if i % 100 == 0:
            d.mkdir(parents=True)
        (d / f"f{i:05}.py").write_text(f"# file {i}\n" + line * (size // len(line)))
    return root


def type_now(app, text: str) -> None:
    """Send keys the way a terminal does, without Pilot's wait for an idle process (which
    lasts as long as the worker thread is busy)."""
    for ch in text:
        key = events.Key({" ": "space", "\r": "enter"}.get(ch, ch), ch)
        key.set_sender(app)
        app._driver.send_message(key)
