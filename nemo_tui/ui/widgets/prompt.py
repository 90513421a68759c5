"""The multi-line prompt: Enter sends, Shift+Enter or Ctrl+J inserts a newline.

It only posts messages; the app decides what a submission means. Up/Down in an empty prompt
recall earlier prompts.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea


class PromptInput(TextArea):
    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: round $primary 50%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    PromptInput:focus { border: round $primary; }
    """

    @dataclass
    class Submitted(Message):
        text: str

    @dataclass
    class DraftChanged(Message):
        text: str

    @dataclass
    class CompleteRequested(Message):
        text: str

    def __init__(self, **kwargs) -> None:
        super().__init__(
            soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs
        )
        self.prompt_history: list[str] = []
        self._recall: int | None = None
        self.border_title = "Enter send · Shift+Enter / Ctrl+J newline · /help"

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if key == "enter":
            event.prevent_default()
            event.stop()
            self.post_message(self.Submitted(self.text))
            return
        if key in ("shift+enter", "ctrl+j"):
            event.prevent_default()
            event.stop()
            self.insert("\n")
            return
        if key == "tab" and self.text.strip():
            event.prevent_default()
            event.stop()
            self.post_message(self.CompleteRequested(self.text))
            return
        if key in ("up", "down") and self._recall_step(-1 if key == "up" else 1):
            event.prevent_default()
            event.stop()
            return
        await super()._on_key(event)

    def _recall_step(self, step: int) -> bool:
        """Walk the prompt history while the box is empty or shows a recalled prompt."""
        if not self.prompt_history:
            return False
        if self._recall is None:
            if self.text or step > 0:
                return False
            index = len(self.prompt_history) - 1
        else:
            if self.text != self.prompt_history[self._recall]:
                self._recall = None  # edited: the arrows move the cursor again
                return False
            index = self._recall + step
            if index >= len(self.prompt_history):
                self._recall = None
                self.load_text("")
                return True
            index = max(index, 0)
        self._recall = index
        self.load_text(self.prompt_history[index])
        self.move_cursor(self.document.end)
        return True

    def remember(self, text: str) -> None:
        if text.strip() and (not self.prompt_history or self.prompt_history[-1] != text):
            self.prompt_history.append(text)
        self._recall = None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.DraftChanged(self.text))
