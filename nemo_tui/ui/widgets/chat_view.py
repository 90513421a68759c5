"""The scrolling conversation: message views and notes, pinned to the bottom while the user
has not scrolled up."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from nemo_tui.core.sanitize import safe_display


class Note(Static):
    """A one-off line from the app (an error, a command's answer); never markup."""

    DEFAULT_CSS = """
    Note { height: auto; margin: 0 0 1 0; padding: 0 1; color: $text-muted; }
    Note.error { color: $error; border-left: thick $error; }
    Note.warning { color: $warning; border-left: thick $warning; }
    Note.info { border-left: thick $accent 50%; }
    """

    MARKERS = {"error": "✕ ", "warning": "⚠ "}  # readable without colour (NO_COLOR, 16 colours)

    def __init__(self, text: str, kind: str = "info") -> None:
        marker = self.MARKERS.get(kind, "")
        super().__init__(Content(marker + safe_display(text)), classes=kind, markup=False)


class ChatView(VerticalScroll):
    DEFAULT_CSS = """
    ChatView { layout: vertical; height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    """

    def on_mount(self) -> None:
        self.anchor()

    async def add(self, *widgets) -> None:
        await self.mount_all(widgets)

    async def note(self, text: str, kind: str = "info") -> Note:
        note = Note(text, kind)
        await self.mount(note)
        return note

