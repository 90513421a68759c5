"""A scrolling read-only text dialog. The body is Content, so server and file text stays data."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class TextScreen(ModalScreen[None]):
    """A scrolling, read-only text dialog: /show, /help and /context use it."""

    BODY_ID = "text-body"
    BINDINGS = [Binding("escape,q", "close", "Close", id="text-close")]
    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > VerticalScroll {
        width: 90%; max-width: 110; height: 85%; border: round $primary; background: $surface;
        padding: 1 2;
    }
    """

    def __init__(self, body: Content) -> None:
        super().__init__()
        self._body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._body, markup=False, id=self.BODY_ID)

    def action_close(self) -> None:
        self.dismiss(None)
