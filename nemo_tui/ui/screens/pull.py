"""Offer to pull a missing model, then show /api/pull progress until it is there."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static

from nemo_tui.core.backend import Failed, OllamaBackend
from nemo_tui.core.context import format_bytes


class PullScreen(ModalScreen[bool]):
    """Dismisses with True once the model is installed, False otherwise."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PullScreen { align: center middle; }
    PullScreen > Vertical {
        width: 72; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    PullScreen #pull-status { margin: 1 0; height: auto; }
    PullScreen ProgressBar { width: 100%; }
    PullScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PullScreen Button { margin-left: 2; }
    """

    def __init__(self, backend: OllamaBackend, model: str, reason: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.model = model
        self.reason = reason or f"Model {model} is not installed on this Ollama server."

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.reason), id="pull-title", markup=False)
            yield Static(Content(f"Pull {self.model} now? Your prompt is kept."), id="pull-status", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="pull-bar")
            with Horizontal():
                yield Button("Pull", id="pull-go", variant="primary")
                yield Button("Cancel", id="pull-cancel")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#pull-go", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pull-go":
            event.button.disabled = True
            self.query_one(ProgressBar).display = True
            self._pull()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "pull")
        self.dismiss(False)

    def _status(self, text: str) -> None:
        self.query_one("#pull-status", Static).update(Content(text))

    @work(group="pull", exclusive=True)
    async def _pull(self) -> None:
        bar = self.query_one(ProgressBar)
        self._status(f"Pulling {self.model}…")
        async for event in self.backend.pull(self.model):
            if isinstance(event, Failed):
                self._status(event.message)
                self.query_one("#pull-title", Static).update(Content("Pull failed"))
                self.query_one("#pull-go", Button).display = False
                self.query_one("#pull-cancel", Button).label = "Close"
                bar.display = False
                return
            if event.total:
                done = event.completed or 0
                bar.update(total=event.total, progress=done)
                self._status(
                    f"{event.status}: {format_bytes(done)} of {format_bytes(event.total)}"
                    f" ({done / event.total:.0%})"
                )
            else:
                self._status(event.status)
            if event.status == "success":
                self.dismiss(True)
                return
        self._status("The pull ended without success.")
