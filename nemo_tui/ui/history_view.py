"""Showing a stored chat lazily: the last messages now, the rest on demand.

A Markdown message costs Textual 10–75 ms to mount (a paragraph vs. lists and code), so a
1,000-message chat is never mounted whole. What fills the screen is mounted first; the rest of
the last page (PAGE messages) follows in small steps once the screen is up; older messages
wait in a `HiddenMessages` control at the top. A search hit far back gets a window of its
own between two controls, so the newest messages stay at the bottom where replies arrive.
"""

from __future__ import annotations

import asyncio

from nemo_tui.core.conversation import Message
from nemo_tui.core.stats import describe_stats, reply_label
from nemo_tui.ui.widgets.hidden_messages import HiddenMessages
from nemo_tui.ui.widgets.message import MessageView

PAGE = 30  # messages a "load more" mounts
PAGE_CHARS = 60_000  # ...unless they are long: a page stops at this much text
MIN_PAGE = 4
STEP = 2  # messages mounted at a time, so the screen stays responsive
NEAR = 15  # a hit this close to what is shown is reached by loading; farther gets a window
WINDOW_BEFORE, WINDOW = 2, 10
HIGHLIGHT_S = 3.0


def page_start(messages: list[Message], end: int, count: int = PAGE) -> int:
    """Index where the page of messages ending (exclusive) at `end` starts."""
    start, total = end, 0
    while start > 0 and end - start < count:
        size = len(messages[start - 1].content)
        if total + size > PAGE_CHARS and end - start >= MIN_PAGE:
            break
        total += size
        start -= 1
    return start


def screenful_start(messages: list[Message], width: int, height: int) -> int:
    """Index from which the last messages roughly fill one and a half screens (min 2)."""
    width, budget = max(20, width - 6), max(10, height) * 3 // 2
    start = len(messages)
    while start > 0 and (budget > 0 or len(messages) - start < 2):
        start -= 1
        lines = messages[start].content.split("\n")
        budget -= 3 + sum(1 + len(line) // width for line in lines)
    return start


def header_for(message: Message) -> str:
    if message.role == "user":
        extra = f"  (+{len(message.attachments)} attached)" if message.attachments else ""
        return "You" + extra
    return message.model or "assistant"


def footer_for(message: Message, is_last: bool) -> tuple[str, str]:
    """The footer a stored reply gets: its figures, or what became of it; and its kind."""
    if message.role != "assistant":
        return "", ""
    label = reply_label(message.model, message.route_reason)
    if message.status == "complete":
        figures = describe_stats(message.stats, message.stats.get("first_token_s"))
        return " · ".join(p for p in (label, figures) if p), ""
    if message.status in ("streaming", "interrupted"):
        what, kind = "⚠ interrupted (nemo-tui closed while it streamed)", "stopped"
    elif message.status == "stopped":
        what, kind = "■ stopped", "stopped"
    else:
        what, kind = f"⚠ {message.error or 'the reply failed'}", "error"
    tail = " — partial reply kept" if message.content else ""
    retry = "; Ctrl+R retries" if is_last else ""
    return " · ".join(p for p in (label, f"{what}{tail}{retry}") if p), kind


class StoredChatView:
    """Mixed into NemoApp (via HistoryMixin): mounts stored messages into the ChatView."""

    _hidden_lock: asyncio.Lock | None = None
    _generation = 0  # bumped when the chat's layout is rearranged (a jump, another chat)

    @property
    def hidden_lock(self) -> asyncio.Lock:
        if self._hidden_lock is None:
            self._hidden_lock = asyncio.Lock()
        return self._hidden_lock

    async def show_stored_chat(self) -> None:
        """Mount what fills the screen, then (in steps) the rest of the last page."""
        messages = self.conversation.messages  # type: ignore[attr-defined]
        page = page_start(messages, len(messages))
        size = self.size  # type: ignore[attr-defined]
        first = max(page, screenful_start(messages, size.width, size.height))
        views = self._stored_views(messages[first:])
        conv = self.conversation  # type: ignore[attr-defined]
        hidden = [HiddenMessages(messages[:first], owner=conv)] if first else []
        await self.chat.add(*hidden, *(v for _, v in views))  # type: ignore[attr-defined]
        self._finish_views(views)
        if messages and messages[-1].role == "user":
            await self.show_note(  # type: ignore[attr-defined]
                "The last prompt got no reply (nemo-tui closed first). Ctrl+R sends it again.",
                "info")
        self._views_changed()
        if first > page:
            fill = self._fill(hidden[0], first - page, self._generation)
            self.call_after_refresh(self.run_worker, fill, group="history-fill")  # type: ignore[attr-defined]

    def _stored_views(self, messages: list[Message]) -> list[tuple[Message, MessageView]]:
        out = []
        for message in messages:
            view = MessageView(message.role, header_for(message), message.content,
                               attachments=message.attachments)
            self.views[id(message)] = view  # type: ignore[attr-defined]
            out.append((message, view))
        return out

    def _finish_views(self, views: list[tuple[Message, MessageView]]) -> None:
        """Footers go on once mounted (a view hides its footer when it mounts)."""
        messages = self.conversation.messages  # type: ignore[attr-defined]
        last = messages[-1] if messages else None
        for message, view in views:
            text, kind = footer_for(message, message is last)
            if text:
                view.set_footer(text, kind)

    def hidden_controls(self) -> list[HiddenMessages]:
        return list(self.chat.query_children(HiddenMessages))  # type: ignore[attr-defined]

    async def on_hidden_messages_load_requested(self, event: HiddenMessages.LoadRequested) -> None:
        await self.load_hidden(event.hidden)

    async def load_hidden(self, control: HiddenMessages, count: int | None = None,
                          settle: bool = True) -> list[MessageView]:
        """Mount `count` (default: a page) of the messages a control holds, next to what is
        shown, keeping what is on screen in place. Returns the new views (top to bottom)."""
        if count is None:
            held = control.messages
            count = (len(held) - page_start(held, len(held)) if control.upward
                     else len(held) - page_start(held[::-1], len(held)))
        chat = self.chat  # type: ignore[attr-defined]
        mounted: list[MessageView] = []
        keep = self._place_keeper(control)  # what is on screen now stays where it is
        while count > 0:
            async with self.hidden_lock:  # one step at a time: a jump may come in between
                if (control.parent is not chat or not control.messages
                        or control.owner is not self.conversation):  # type: ignore[attr-defined]
                    break  # the chat changed meanwhile (/new, another chat)
                views = self._stored_views(control.take(min(STEP, count)))
                count -= len(views)
                new = [v for _, v in views]
                where = {"after": control} if control.upward else {"before": control}
                try:
                    await chat.mount_all(new, **where)
                except Exception:  # noqa: BLE001 - the chat was cleared meanwhile
                    break
                self._finish_views(views)
                mounted = new + mounted if control.upward else mounted + new
                if keep is not None:
                    chat.call_after_refresh(self._restore_place, *keep)
                if not control.messages:
                    if control.has_focus:
                        self.prompt.focus()  # type: ignore[attr-defined]
                    await control.remove()
        if settle and not control.upward and mounted:
            chat.call_after_refresh(chat.scroll_to_widget, mounted[0], animate=False)
        if mounted:
            self._views_changed()
        return mounted

    async def _fill(self, control: HiddenMessages, count: int, generation: int) -> None:
        """The rest of the first page, a step at a time, unless a jump rearranges the chat."""
        while count > 0 and generation == self._generation:
            mounted = await self.load_hidden(control, min(STEP, count), settle=False)
            if not mounted:
                return
            count -= len(mounted)

    def _views_changed(self) -> None:
        """Let the gauge mark the new views the model cannot see (when there is a gauge)."""
        refresh = getattr(self, "refresh_gauge", None)
        if callable(refresh):
            refresh()

    def _place_keeper(self, control: HiddenMessages) -> tuple[object, int] | None:
        """The widget below an upward control and its offset on screen, unless the chat is
        at the bottom (its anchor keeps the bottom in view then)."""
        chat = self.chat  # type: ignore[attr-defined]
        if not control.upward or chat.scroll_y >= chat.max_scroll_y - 1:
            return None
        children = list(chat.children)
        at = children.index(control)
        if at + 1 >= len(children):
            return None
        below = children[at + 1]
        return below, below.virtual_region.y - round(chat.scroll_y)

    def _restore_place(self, widget, offset: int) -> None:  # type: ignore[no-untyped-def]
        chat = self.chat  # type: ignore[attr-defined]
        if widget.parent is chat:
            chat.scroll_to(y=widget.virtual_region.y - offset, animate=False, immediate=True)

    async def show_message_of(self, message_id: int) -> bool:
        """Bring a message of this chat on screen, mounting what it needs, and mark it."""
        messages = self.conversation.messages  # type: ignore[attr-defined]
        message = next((m for m in messages if m.id == message_id), None)
        if message is None:
            return False
        if id(message) not in self.views:  # type: ignore[attr-defined]
            control = next((c for c in self.hidden_controls() if message in c.messages), None)
            if control is None:
                return False
            await self._reveal(control, control.messages.index(message))
        view = self.views.get(id(message))  # type: ignore[attr-defined]
        if view is None:
            return False
        chat = self.chat  # type: ignore[attr-defined]
        chat.call_after_refresh(chat.scroll_to_widget, view, animate=False, top=True)
        self._highlight(view)
        return True

    async def _reveal(self, control: HiddenMessages, index: int) -> None:
        held = control.messages
        if control.upward and len(held) - index <= NEAR:
            await self.load_hidden(control, len(held) - index + WINDOW_BEFORE, settle=False)
            return
        if not control.upward and index < NEAR:
            await self.load_hidden(control, index + WINDOW - WINDOW_BEFORE, settle=False)
            return
        # Far away: a window around the message, between what stays hidden either side.
        self._generation += 1
        async with self.hidden_lock:
            start = max(0, index - WINDOW_BEFORE)
            before, window, after = held[:start], held[start:start + WINDOW], held[start + WINDOW:]
            views = self._stored_views(window)
            gap = [HiddenMessages(after, upward=False, owner=control.owner)] if after else []
            await self.chat.mount_all([*(v for _, v in views), *gap], after=control)  # type: ignore[attr-defined]
            self._finish_views(views)
            if before:
                control.set_messages(before)
            else:
                await control.remove()
        self._views_changed()

    def _highlight(self, view: MessageView) -> None:
        accent = self.theme_variables.get("accent", "yellow")  # type: ignore[attr-defined]
        view.styles.outline = ("round", accent)
        view.add_class("search-hit")

        def clear() -> None:
            view.styles.outline = None
            view.remove_class("search-hit")

        self.set_timer(HIGHLIGHT_S, clear)  # type: ignore[attr-defined]
