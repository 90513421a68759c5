"""/compare: the same conversation and prompt sent to two models, one after the other, shown
side by side with each reply's figures. The chat is not changed unless a reply is kept (1/2).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from nemo_tui.core.backend import Done, Failed, OllamaBackend, Token
from nemo_tui.core.conversation import Message
from nemo_tui.core.stats import NS, describe_stats
from nemo_tui.ui.widgets.message import MessageView

# model → (messages, options) of the request /compare sends to it
RequestFor = Callable[[str], tuple[list[dict[str, str]], dict[str, Any]]]


def compare_figures(stats: dict[str, Any], first_token_s: float | None) -> str:
    """describe_stats, with the load time always shown: it is half of what a comparison shows."""
    figures = describe_stats(stats, first_token_s)
    load = stats.get("load_duration")
    if load and "model load" not in figures:
        figures += f" · model load {load / NS:.2f} s"
    return figures


class CompareScreen(ModalScreen["Message | None"]):
    """Dismisses with the reply to keep in the chat (keys 1 and 2), or None (Esc)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="compare-close"),
        Binding("1", "keep(0)", "Keep left", id="compare-keep-left"),
        Binding("2", "keep(1)", "Keep right", id="compare-keep-right"),
    ]
    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > #compare-box { width: 96%; height: 92%; border: round $primary; background: $surface; }
    CompareScreen #compare-title { height: auto; padding: 0 1; color: $text-muted; }
    CompareScreen Horizontal { height: 1fr; }
    CompareScreen .compare-col { width: 1fr; height: 1fr; padding: 0 1; }
    CompareScreen #compare-col-0 { border-right: solid $primary 50%; }
    """

    def __init__(self, backend: OllamaBackend, models: tuple[str, str], prompt: str,
                 request_for: RequestFor) -> None:
        super().__init__()
        self.backend = backend
        self.models = models
        self.prompt = prompt
        self._request_for = request_for
        self.views = [MessageView("assistant", m, streaming=True) for m in models]
        self.results: list[Message | None] = [None, None]

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-box"):
            yield Static(Content(
                f"/compare — {self.models[0]} then {self.models[1]}, same conversation and prompt. "
                "1 / 2 keep that reply in the chat · Esc closes (the chat is unchanged)."
            ), id="compare-title", markup=False)
            with Horizontal():
                for i, view in enumerate(self.views):
                    with VerticalScroll(classes="compare-col", id=f"compare-col-{i}"):
                        yield view

    def on_mount(self) -> None:
        self.views[1].set_waiting(f"waits for {self.models[0]} to finish")
        self._run()

    @work(group="compare", exclusive=True)
    async def _run(self) -> None:
        for i, model in enumerate(self.models):
            await self._one(i, model)

    async def _one(self, i: int, model: str) -> None:
        view = self.views[i]
        messages, options = self._request_for(model)
        started = time.monotonic()
        first: float | None = None
        text: list[str] = []
        outcome: Done | Failed | None = None
        ticker = asyncio.create_task(self._tick(view, model, started))
        try:
            async for event in self.backend.chat(model, messages, options):
                if isinstance(event, Token):
                    if first is None:
                        first = time.monotonic() - started
                        ticker.cancel()
                    text.append(event.text)
                    view.append(event.text)
                else:
                    outcome = event
        finally:
            ticker.cancel()
        await view.finish()
        if isinstance(outcome, Done):
            stats = dict(outcome.stats)
            if first is not None:
                stats["first_token_s"] = round(first, 3)
            self.results[i] = Message("assistant", "".join(text), model=model, stats=stats,
                                      route_reason="kept from /compare")
            view.set_footer(compare_figures(outcome.stats, first))
        else:
            failed = outcome or Failed("dropped", "The reply ended early.")
            view.set_footer(f"⚠ {failed.message}", "error")

    async def _tick(self, view: MessageView, model: str, started: float) -> None:
        while True:
            view.set_waiting(f"waiting for {model} — {int(time.monotonic() - started)} s")
            await asyncio.sleep(1.0)

    def action_keep(self, index: int) -> None:
        result = self.results[index]
        if result is None:
            self.notify(f"The reply from {self.models[index]} is not complete.",
                        severity="warning", markup=False)
            return
        self.workers.cancel_group(self, "compare")
        self.dismiss(result)

    def action_close(self) -> None:
        self.workers.cancel_group(self, "compare")
        self.dismiss(None)
