"""One chat message on screen: a header, the Markdown body, a cheap tail while streaming, a footer.

Streaming: fragments are buffered and handed over at most every FLUSH_INTERVAL seconds. The
settled part goes to Textual's Markdown (append, in place for paragraphs); a list, quote or
code fence still arriving is shown as plain text in the tail and rendered once it has ended
(see core/stream_split.py). Everything shown passes through `safe_display`: model output and
file contents are data, never markup or terminal escapes.
"""

from __future__ import annotations

import asyncio

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static

from nemo_tui.core.sanitize import safe_display
from nemo_tui.core.stream_split import StreamSplitter

FLUSH_INTERVAL = 0.08


class MessageView(Vertical):
    DEFAULT_CSS = """
    MessageView {
        layout: stream;
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
    }
    MessageView.user { background: $boost; border-left: thick $secondary; }
    MessageView.assistant { border-left: thick $primary 50%; }
    MessageView.not-seen { opacity: 55%; }
    MessageView > .msg-header { color: $text-muted; text-style: bold; height: 1; }
    MessageView > Markdown { layout: stream; height: auto; margin: 0; padding: 0; }
    MessageView > Markdown > MarkdownParagraph { margin: 0 0 1 0; }
    MessageView > .msg-tail { height: auto; color: $foreground 85%; }
    MessageView > .msg-footer { color: $text-muted; height: auto; }
    MessageView > .msg-footer.error { color: $error; }
    MessageView > .msg-footer.stopped { color: $warning; }
    """

    def __init__(self, role: str, header: str, text: str = "", *, streaming: bool = False) -> None:
        super().__init__(classes=role)
        self.role = role
        self._header_text = header
        self._initial = text
        self._streaming = streaming
        self._splitter = StreamSplitter()
        self._rendered = 0  # how much of the splitter's source Markdown has
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._final = False
        self._pump: asyncio.Task[None] | None = None
        self.markdown = Markdown(safe_display(text) if text else None, open_links=False)
        self.tail = Static("", classes="msg-tail", markup=False)
        self.footer = Static("", classes="msg-footer", markup=False)

    def compose(self):
        yield Static(Content(self._header_text), classes="msg-header")
        yield self.markdown
        yield self.tail
        yield self.footer

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
            text = safe_display("".join(self._pending).replace("\r", ""))
            self._pending.clear()
            self._splitter.feed(text)
        source = self._splitter.source
        upto = len(source) if final else self._splitter.settled
        if upto > self._rendered:
            delta = source[self._rendered : upto]
            self._rendered = upto
            await self.markdown.append(delta)
        rest = source[self._rendered :]
        if rest:
            self.tail.update(Content(rest))
            self.tail.display = True
        elif self.tail.display:
            self.tail.display = False

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
        return self._splitter.source if self._streaming else self._initial
