"""Stored messages not on screen yet, standing in for them in the chat ("load more").

A chat opened from the history mounts its last messages only. Above them a control holds the
earlier ones ("▲ 970 earlier messages — load more"); opening a search hit far back shows a
window around the hit, with a gap control below it ("▼ 812 more messages — load more").
Click one, or focus it and press Enter; the app mounts a page of what it holds.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Button

from nemo_tui.core.conversation import Message


class HiddenMessages(Button):
    """`upward`: the control at the top, loading the messages just above what is shown;
    otherwise a gap below a run of messages, loading the ones that follow it."""

    DEFAULT_CSS = """
    HiddenMessages { width: 100%; margin: 0 0 1 0; }
    """

    class LoadRequested(TextualMessage):
        def __init__(self, hidden: HiddenMessages) -> None:
            super().__init__()
            self.hidden = hidden

        @property
        def control(self) -> HiddenMessages:
            return self.hidden

    def __init__(self, messages: list[Message], *, upward: bool = True, owner: object = None) -> None:
        super().__init__(self._label_for(len(messages), upward), compact=True,
                         classes="earlier" if upward else "gap")
        self.messages = messages
        self.upward = upward
        self.owner = owner  # the conversation the messages belong to

    @staticmethod
    def _label_for(count: int, upward: bool) -> Content:
        noun = "message" if count == 1 else "messages"
        text = (f"▲ {count:,} earlier {noun} — load more" if upward
                else f"▼ {count:,} more {noun} — load more")
        return Content(text)

    def set_messages(self, messages: list[Message]) -> None:
        self.messages = messages
        self.label = self._label_for(len(messages), self.upward)

    def take(self, count: int) -> list[Message]:
        """Up to `count` messages from the side next to what is shown (oldest first)."""
        count = max(0, min(count, len(self.messages)))
        if self.upward:
            cut = len(self.messages) - count
            page, rest = self.messages[cut:], self.messages[:cut]
        else:
            page, rest = self.messages[:count], self.messages[count:]
        self.set_messages(rest)
        return page

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.LoadRequested(self))
