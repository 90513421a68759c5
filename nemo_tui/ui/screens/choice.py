"""A list to pick one entry from (the model picker, the reply-language picker).

Labels are `Content`, never markup: model names come from the server.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen entry's id, or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice-cancel")]
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ChoiceScreen #choice-title { height: auto; margin-bottom: 1; }
    ChoiceScreen OptionList { height: auto; max-height: 20; border: none; padding: 0; }
    """

    def __init__(self, title: str, choices: list[tuple[str, Content]], current: str | None) -> None:
        """`choices`: (id, label) in display order; `current` is marked and highlighted."""
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(Content.assemble("● " if key == self._current else "  ", label), id=key)
            for key, label in self._choices
        ]
        with Vertical():
            yield Static(Content(self._title), id="choice-title", markup=False)
            yield OptionList(*options, id="choice-list")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        keys = [key for key, _ in self._choices]
        if self._current in keys:
            option_list.highlighted = keys.index(self._current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
