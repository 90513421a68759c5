"""PullScreen with its own question: for /pull and the fallback-model offer, where no prompt
is waiting (PullScreen's default line says the prompt is kept)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from nemo_tui.core.backend import OllamaBackend
from nemo_tui.ui.screens.pull import PullScreen


class PullOffer(PullScreen):
    def __init__(self, backend: OllamaBackend, model: str, reason: str, question: str) -> None:
        super().__init__(backend, model, reason)
        self.question = question

    def on_mount(self) -> None:  # PullScreen's on_mount runs as well
        self.query_one("#pull-status", Static).update(Content(self.question))
