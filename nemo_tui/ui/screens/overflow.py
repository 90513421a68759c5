"""Asked before sending a prompt that does not fit the context window."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class OverflowScreen(ModalScreen[str | None]):
    """Dismisses with "raise", "send" or None (cancel: the prompt stays in the box)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    OverflowScreen { align: center middle; }
    OverflowScreen > Vertical {
        width: 80; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    OverflowScreen .choices { height: auto; margin-top: 1; }
    OverflowScreen .choices Button { width: 100%; margin: 0 0 1 0; }
    """

    def __init__(self, text: str, raise_label: str | None) -> None:
        super().__init__()
        self._text = text
        self._raise_label = raise_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self._text), markup=False)
            with Vertical(classes="choices"):
                if self._raise_label:
                    yield Button(self._raise_label, id="raise", variant="primary", compact=True)
                yield Button("Send anyway (Ollama drops the oldest)", id="send", variant="warning", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
