"""One chat message on screen: a header, the Markdown body, a cheap tail while streaming, a footer.

Streaming: fragments are buffered and rendered at most every FLUSH_INTERVAL seconds. The body
is a column of Markdown segments: paragraph text is appended to the last segment (updated in
place), while a list, quote or fence is shown as plain text in the tail while it arrives and
mounted as a fresh segment once it ends, or in parts (see core/stream_split.py), so no render
grows with the length of the reply. Everything shown passes through `safe_display`: model
output and file contents are data, never markup or terminal escapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static

from nemo_tui.ui.widgets.attached_files import AttachedFiles
from nemo_tui.ui.widgets.reply_markdown import ReplyMarkdown

from nemo_tui.core.conversation import Attachment
from nemo_tui.core.sanitize import safe_display
from nemo_tui.core.stream_split import StreamSplitter, Unit

FLUSH_INTERVAL = 0.08


class MessageView(Vertical):
    # Ctrl+Up, Tab or a click focuses a message; its keys act on the app.
    can_focus = True
    BINDINGS = [
        Binding("c", "app.copy_focused('message')", "Copy", id="copy-message"),
        Binding("b", "app.copy_focused('code')", "Copy code", id="copy-message-code"),
        Binding("up,k", "app.focus_message(-1)", "Previous", show=False, id="message-previous"),
        Binding("down,j", "app.focus_message(1)", "Next", show=False, id="message-next"),
        Binding("escape", "app.leave_message", "Back", id="message-leave"),
    ]
    DEFAULT_CSS = """
    MessageView {
        layout: vertical;
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
    }
    MessageView.user { background: $boost; border-left: thick $secondary; }
    MessageView.assistant { border-left: thick $primary 50%; }
    MessageView.not-seen { opacity: 55%; }
    MessageView:focus { border-left: double $accent; background: $boost; }
    MessageView:focus > .msg-header { text-style: bold reverse; }
    MessageView > .msg-header { color: $text-muted; text-style: bold; height: 1; }
    MessageView > Markdown { height: auto; margin: 0; padding: 0; }
    MessageView > Markdown > MarkdownParagraph { margin: 0 0 1 0; }
    MessageView > Markdown.joins-below > * { margin-bottom: 0; padding-bottom: 0; }
    MessageView > Markdown.joins-above > * { margin-top: 0; padding-top: 0; }
    MessageView > Markdown.joins-below > MarkdownFence > Label { padding-bottom: 0; }
    MessageView > Markdown.joins-above > MarkdownFence > Label { padding-top: 0; }
    MessageView > .msg-tail { height: auto; color: $foreground 85%; }
    MessageView > .msg-footer { color: $text-muted; height: auto; }
    MessageView > .msg-footer.error { color: $error; }
    MessageView > .msg-footer.stopped { color: $warning; }
    """

    def __init__(self, role: str, header: str, text: str = "", *, streaming: bool = False,
                 attachments: Sequence[Attachment] = ()) -> None:
        super().__init__(classes=role)
        self.role = role
        self._header_text = header
        self._initial = text
        self._attachments = list(attachments)  # a compact line each (attached_files.py)
        self._streaming = streaming
        self._splitter = StreamSplitter()
        self._segment: Markdown | None = None  # the segment flow text is appended to
        self._rendered_any = bool(text)
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._final = False
        self._pump: asyncio.Task[None] | None = None
        self.markdown = ReplyMarkdown(safe_display(text) if text else None, open_links=False)
        self.tail = Static("", classes="msg-tail", markup=False)
        self.footer = Static("", classes="msg-footer", markup=False)

    def compose(self):
        yield Static(Content(self._header_text), classes="msg-header")
        if self._attachments:
            yield AttachedFiles(self._attachments)
        yield self.markdown
        yield self.tail
        yield self.footer

    @property
    def segments(self) -> list[Markdown]:
        return list(self.query_children(Markdown))

    @property
    def rendered_markdown(self) -> str:
        """What the Markdown segments hold, joined (fences cut into parts show their seams)."""
        return "".join(segment.source for segment in self.segments)

    def on_mount(self) -> None:
        self.tail.display = False
        self.footer.display = False
        if self._streaming:
            self._pump = asyncio.create_task(self._run_pump())

    # -- streaming ---------------------------------------------------------------------
    def append(self, fragment: str) -> None:
        """Queue a fragment; cheap, safe to call for every token."""
        self._pending.append(fragment)
        self._wake.set()

    def set_waiting(self, text: str) -> None:
        """A live note in the tail before the first token ("waiting for the model — 12 s")."""
        if not self._splitter.source and not self._pending:
            self.tail.display = True
            self.tail.update(Content(text))

    async def _run_pump(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = loop.time()
            await self._flush(final=self._final)
            if self._final and not self._pending:
                return
            # Batch by time: whatever arrives while we sleep goes in one append.
            await asyncio.sleep(max(0.0, FLUSH_INTERVAL - (loop.time() - started)))

    async def _flush(self, final: bool = False) -> None:
        if self._pending:
            self._splitter.feed(safe_display("".join(self._pending).replace("\r", "")))
            self._pending.clear()
        for unit in self._splitter.take(final):
            await self._render_unit(unit)
        rest = self._splitter.pending
        if rest:
            self.tail.update(Content(rest))
            self.tail.display = True
        elif self.tail.display:
            self.tail.display = False

    async def _render_unit(self, unit: Unit) -> None:
        if unit.kind == "flow":
            if self._segment is None:
                self._segment = await self._new_segment(unit.text)
            else:
                await self._segment.append(unit.text)
            return
        classes = " ".join(
            c for c, on in (("joins-above", unit.joins_above), ("joins-below", unit.joins_below)) if on
        )
        await self._new_segment(unit.text, classes)
        self._segment = None  # text after a block starts a new segment: no remounting it

    async def _new_segment(self, text: str, classes: str = "") -> Markdown:
        if not self._rendered_any and not classes:
            self._rendered_any = True
            await self.markdown.append(text)  # the first segment exists from the start
            return self.markdown
        self._rendered_any = True
        segment = ReplyMarkdown(text, open_links=False, classes=classes)
        await self.mount(segment, before=self.tail)
        return segment

    async def finish(self) -> None:
        """Render everything still held; returns once the Markdown is complete."""
        if self._pump is None:
            return
        self._final = True
        self._wake.set()
        await self._pump
        self._pump = None

    # -- after the reply ---------------------------------------------------------------
    def set_footer(self, text: str, kind: str = "") -> None:
        self.footer.set_classes(f"msg-footer {kind}".strip())
        self.footer.update(Content(text))
        self.footer.display = bool(text)

    def set_header(self, text: str) -> None:
        self._header_text = text
        self.query_one(".msg-header", Static).update(Content(text))

    @property
    def source(self) -> str:
        """The Markdown shown (already made safe)."""
        return self._splitter.source if self._streaming else safe_display(self._initial)
