"""/system with no text: edit this chat's system prompt in a multi-line editor."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


class SystemPromptScreen(ModalScreen[str | None]):
    """Dismisses with the new system prompt ("" clears it), or None (Esc: nothing changes)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="system-cancel"),
        Binding("ctrl+s", "save", "Save", id="system-save"),
    ]
    DEFAULT_CSS = """
    SystemPromptScreen { align: center middle; }
    SystemPromptScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 2;
    }
    SystemPromptScreen TextArea { height: 14; }
    SystemPromptScreen Horizontal { height: auto; margin-top: 1; }
    SystemPromptScreen Button { margin-right: 2; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content("System prompt for this chat — sent first with every request. "
                        "Ctrl+S saves, Esc cancels."),
                markup=False,
            )
            yield TextArea(self._text, soft_wrap=True, show_line_numbers=False, id="system-text")
            with Horizontal():
                yield Button("Save", id="system-save", variant="primary")
                yield Button("Clear", id="system-clear")
                yield Button("Cancel", id="system-cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end)
        area.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "system-save":
            self.action_save()
        elif event.button.id == "system-clear":
            self.dismiss("")
        else:
            self.action_cancel()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
