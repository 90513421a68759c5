"""Asked right after /attach when the files push the next request past num_ctx."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from nemo_tui.core.sanitize import safe_display


class AttachOverflowScreen(ModalScreen[str | None]):
    """Dismisses with "raise", "drop" or None (keep the files; decide before sending)."""

    AUTO_FOCUS = None  # keys typed on when it pops up must not press a button: Tab first
    BINDINGS = [Binding("escape", "keep", "Keep the files")]
    DEFAULT_CSS = """
    AttachOverflowScreen { align: center middle; }
    AttachOverflowScreen > Vertical {
        width: 100; max-width: 100%; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    AttachOverflowScreen .choices { height: auto; margin-top: 1; }
    AttachOverflowScreen .choices Button { width: 100%; margin: 0 0 1 0; }
    AttachOverflowScreen .hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, text: str, raise_label: str | None, drop_label: str) -> None:
        super().__init__()
        self._text = text
        self._raise_label = raise_label
        self._drop_label = drop_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(safe_display(self._text)), markup=False, id="attach-overflow-text")
            with Vertical(classes="choices"):
                if self._raise_label:
                    yield Button(self._raise_label, id="raise", variant="primary", compact=True)
                yield Button(self._drop_label, id="drop", variant="warning", compact=True)
                yield Button("Keep them", id="keep", compact=True)
            yield Static("Tab selects a button · Esc keeps the files", classes="hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "keep" else event.button.id)

    def action_keep(self) -> None:
        self.dismiss(None)
