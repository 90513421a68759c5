"""Pilot tests of /attach at scale: a request that overflows num_ctx right after attaching,
progress and cancel on a big folder, and a UI that keeps taking keys while 14 MB are read."""

from __future__ import annotations

import asyncio
import threading

from nemo_tui.ui.screens.attach_overflow import AttachOverflowScreen
from nemo_tui.ui.widgets.attachments_bar import AttachProgress
from tests.attach_helpers import (  # noqa: F401 - fixtures
    attach, big_text, chips, command, here, many_files, notes, ready, type_now,
)
from tests.conftest import wait_for
from tests.test_attachments import write


async def test_overflow_after_attach_offers_to_raise_num_ctx(standin, make_app, here):
    write(here / "book.txt", big_text(60_000))  # ~12k tokens; the server default is 4096
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await attach(pilot, "book.txt")
        await wait_for(lambda: isinstance(app.screen, AttachOverflowScreen), pilot)
        text = str(app.screen.query_one("#attach-overflow-text").render())
        assert "but num_ctx is 4,096: over by" in text and "KV cache takes" in text
        raise_button = app.screen.query_one("#raise")
        label = str(raise_button.label)
        fit = int(label.split("to ")[1].split(" ")[0].replace(",", ""))
        assert fit % 1024 == 0 and fit > 4096 and "KV" in label
        await pilot.click("#raise")
        await wait_for(lambda: not isinstance(app.screen, AttachOverflowScreen), pilot)
        assert app.conversation.num_ctx == fit
        app.prompt.load_text("Summarise the book.")
        await pilot.press("enter")
        await wait_for(lambda: not app.session.running and app.conversation.messages[-1].role == "assistant", pilot)
    assert standin.chat_requests[-1]["options"]["num_ctx"] == fit


async def test_overflow_after_attach_drop(standin, make_app, here):
    write(here / "small.txt", "keep me\n")
    write(here / "book.txt", big_text(60_000))
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await attach(pilot, "small.txt")
        await attach(pilot, "book.txt")
        await wait_for(lambda: isinstance(app.screen, AttachOverflowScreen), pilot)
        await pilot.click("#drop")
        await wait_for(lambda: not isinstance(app.screen, AttachOverflowScreen), pilot)
        assert [a.path for a in app.pending_attachments] == ["small.txt"]
        assert app.conversation.num_ctx is None


async def test_progress_and_cancel_on_a_big_folder(standin, make_app, here, monkeypatch):
    import nemo_tui.ui.commands_attach as module

    many_files(here / "big", 3000)
    gate, reached = threading.Event(), threading.Event()
    real_collect = module.collect

    def gated_collect(paths, cwd, limits, progress, cancelled):
        def held(done, total, path):
            progress(done, total, path)
            if total and done == 500:
                reached.set()
                gate.wait(10)  # the test looks at the screen, then presses Esc

        return real_collect(paths, cwd, limits, held, cancelled)

    monkeypatch.setattr(module, "collect", gated_collect)
    app = make_app(standin.url, attach_max_files=5000)
    async with app.run_test(size=(120, 40)) as pilot:
        await command(pilot, "/attach big")
        await wait_for(reached.is_set, pilot, timeout=20)
        await pilot.pause(0.3)  # a progress redraw
        progress = app.query_one(AttachProgress)
        assert progress.has_class("active")
        status = str(progress.query_one("#attach-status").render())
        assert "reading 500 / 3,000 files" in status and "KB" in status and "Esc cancels" in status
        await pilot.press("h", "i")  # the prompt still takes keys
        assert app.prompt.text == "hi"
        await pilot.press("escape")
        gate.set()
        await wait_for(lambda: app.attach_book.job is None, pilot, timeout=10)
        await pilot.pause(0.1)
        assert app.pending_attachments == [] and not progress.has_class("active")
        assert "/attach big/ cancelled: nothing attached (500 of 3,000 files had been read)." in notes(app, "warning")[-1]
        assert app.prompt.text == "hi"


async def test_big_folder_stays_responsive_and_limits_files(standin, make_app, here):
    many_files(here / "big", 3000, size=7000)  # 21 MB; 2,000 files (14 MB) get read
    # Pinned model: auto routing counts the whole request on the UI thread (its own cost).
    app = make_app(standin.url, auto_route=False)  # the default limit: 2,000 files per /attach
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        loop = asyncio.get_running_loop()
        gaps: list[float] = []
        last = [loop.time()]

        def tick() -> None:
            now = loop.time()
            gaps.append(now - last[0])
            last[0] = now

        app.set_interval(0.02, tick)
        app.prompt.load_text("/attach big")
        type_now(app, "\r")
        await wait_for(lambda: app.attach_book.job is not None and app.attach_book.job.done > 0, pilot)
        started = loop.time()
        type_now(app, "typing while it reads")
        await wait_for(lambda: app.prompt.text == "typing while it reads", pilot, timeout=3)
        typed = loop.time() - started
        assert app.attach_book.job is not None, "the attach ended before the typing: no test"
        await wait_for(lambda: app.attach_book.job is None, pilot, timeout=60)
        await pilot.pause(0.2)
        assert typed < 1.0, f"21 keys took {typed:.2f} s to reach the prompt"
        assert max(gaps) < 0.5, f"the UI stalled for {max(gaps):.2f} s"
        assert app.prompt.text == "typing while it reads"
        assert len(app.pending_attachments) == 2000
        report = [n for n in notes(app, "warning") if n.startswith("⚠ Attached big/")][-1]
        assert "stopped at 2,000 of 3,000 files (the limit is 2,000 per /attach)" in report
        overflow = notes(app, "warning")[-1]  # typing: a note, not a dialog taking the keys
        assert "over by" in overflow and "more than mistral-nemo was trained for" in overflow
        assert not isinstance(app.screen, AttachOverflowScreen)
        (chip,) = chips(app)
        assert "big/ (2,000 files, 13.3 MB" in chip
        await wait_for(lambda: app.gauge.accounting.budget is not None
                       and app.gauge.accounting.budget.attachments > 3_000_000, pilot, timeout=30)
        assert max(gaps) < 0.5, f"the UI stalled for {max(gaps):.2f} s"
