"""The files sent with a user message, one compact line each, inside its MessageView.

A line shows path, size and tokens; Enter or a click opens the file's text below it (built
only then, as plain text through safe_display, capped so a 20 MB file cannot stall the
screen). Many files show the first few and a line that reveals the rest.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from nemo_tui.core.attach_read import human_size
from nemo_tui.core.conversation import Attachment
from nemo_tui.core.sanitize import safe_display
from nemo_tui.ui.attach_state import tokens_text

SHOWN_LINES = 6  # file lines before "… N more"
PREVIEW_LINES = 400
PREVIEW_CHARS = 64_000


def preview_text(att: Attachment) -> str:
    """The start of the file's text, made safe, with a line saying what was left out."""
    text = att.content[:PREVIEW_CHARS]
    lines = text.split("\n")
    cut = len(text) < len(att.content) or len(lines) > PREVIEW_LINES
    shown = "\n".join(lines[:PREVIEW_LINES])
    if cut:
        total = att.content.count("\n") + 1
        shown += f"\n… {total - min(len(lines), PREVIEW_LINES):,} more lines not shown here (all of it was sent)"
    return safe_display(shown)


class AttachedFileLine(Static, can_focus=True):
    BINDINGS = [Binding("enter,space", "toggle", "Show / hide the text", show=False)]
    DEFAULT_CSS = """
    AttachedFileLine { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    AttachedFileLine:hover { background: $boost; }
    AttachedFileLine:focus { background: $accent 25%; color: $text; }
    """

    def __init__(self, att: Attachment) -> None:
        super().__init__(markup=False)
        self.attachment = att
        self.body: Static | None = None
        self._refresh_label()

    def _refresh_label(self) -> None:
        att = self.attachment
        opener = "▾" if self.body is not None and self.body.display else "▸"
        line = f"{opener} 📎 {safe_display(att.path)} · {human_size(att.size)} · {tokens_text(att.tokens)}"
        if att.kind == "pdf":
            line += " · PDF text"
        if att.notice:
            line += f" · {safe_display(att.notice)}"
        self.update(Content(line))

    async def action_toggle(self) -> None:
        if self.body is None:
            self.body = Static(Content(preview_text(self.attachment)), markup=False, classes="attached-body")
            await self.parent.mount(self.body, after=self)
        else:
            self.body.display = not self.body.display
        self._refresh_label()

    async def on_click(self) -> None:
        self.focus()
        await self.action_toggle()


class MoreFilesLine(Static, can_focus=True):
    BINDINGS = [Binding("enter,space", "reveal", "Show all files", show=False)]
    DEFAULT_CSS = """
    MoreFilesLine { height: 1; color: $text-muted; text-style: italic; }
    MoreFilesLine:focus { background: $accent 25%; }
    """

    def __init__(self, rest: list[Attachment]) -> None:
        size = sum(a.size for a in rest)
        super().__init__(Content(f"  … and {len(rest):,} more files ({human_size(size)}) — Enter shows them"),
                         markup=False)
        self.rest = rest

    async def action_reveal(self) -> None:
        await self.parent.mount_all([AttachedFileLine(a) for a in self.rest], after=self)
        await self.remove()

    async def on_click(self) -> None:
        await self.action_reveal()


class AttachedFiles(Vertical):
    DEFAULT_CSS = """
    AttachedFiles { height: auto; margin: 0 0 1 0; }
    AttachedFiles > .attached-body {
        height: auto; max-height: 30; overflow-y: auto; padding: 0 1; margin: 0 0 0 2;
        background: $surface; color: $foreground 85%;
    }
    """

    def __init__(self, attachments: list[Attachment]) -> None:
        super().__init__()
        self.attachments = list(attachments)

    def compose(self) -> ComposeResult:
        shown = self.attachments if len(self.attachments) <= SHOWN_LINES + 1 else self.attachments[:SHOWN_LINES]
        for att in shown:
            yield AttachedFileLine(att)
        if len(shown) < len(self.attachments):
            yield MoreFilesLine(self.attachments[len(shown):])
