"""A note in the chat with one button: an offer the user can take or leave (no dialog)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from nemo_tui.core.sanitize import safe_display


class OfferNote(Horizontal):
    DEFAULT_CSS = """
    OfferNote {
        height: auto; margin: 0 0 1 0; padding: 0 1;
        color: $warning; border-left: thick $warning;
    }
    OfferNote > Static { width: 1fr; height: auto; }
    OfferNote > Button { margin-left: 2; }
    """

    @dataclass
    class Taken(Message):
        offer: "OfferNote"

    def __init__(self, text: str, button: str, key: str, **kwargs) -> None:
        super().__init__(classes="warning", **kwargs)
        self.text = text
        self.key = key  # what the offer is about, e.g. the model to pull
        self._button = button

    def compose(self):
        yield Static(Content(safe_display(self.text)), markup=False)
        button = Button(self._button, id="offer-take", compact=True)
        button.can_focus = False  # a click, or the slash command the text names; Tab skips it
        yield button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Taken(self))
