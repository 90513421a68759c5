"""Above the prompt: the files that go with the next message (chips) and /attach's progress.

Each chip is one focusable line (Shift+Tab from the prompt reaches them; Up/Down move between
them): Delete, Backspace or x removes it, Enter opens a grouped folder chip, Tab goes back to
the prompt, and any other typing goes on in the prompt. The bar never
grows past a few lines; more chips scroll. Paths and notices are data: no markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from nemo_tui.core.attach_read import human_size
from nemo_tui.core.sanitize import safe_display
from nemo_tui.ui.attach_state import AttachJob, ChipRow, describe_files, tokens_text


class Chip(Static, can_focus=True):
    BINDINGS = [
        Binding("delete,backspace,x", "remove", "Remove file", show=True),
        Binding("enter,space", "toggle", "Open / close", show=False),
        Binding("tab", "back", "Back to the prompt", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("down", "move(1)", "Next", show=False),
    ]
    DEFAULT_CSS = """
    Chip { height: 1; width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    Chip:hover { background: $boost; }
    Chip:focus { background: $accent 30%; }
    Chip.member { padding-left: 4; color: $text-muted; }
    """

    @dataclass
    class Remove(Message):
        key: str

    @dataclass
    class Toggle(Message):
        key: str

    @dataclass
    class BackToPrompt(Message):
        """Tab, Enter on a file, or typing: the keys belong to the prompt again."""

        text: str = ""

    def __init__(self, number: int, row: ChipRow, exact: bool) -> None:
        super().__init__(chip_content(number, row, exact), markup=False, classes="member" if row.depth else "")
        self.row = row
        self._typing = False

    def action_remove(self) -> None:
        self.post_message(self.Remove(self.row.key))

    def action_toggle(self) -> None:
        if self.row.group is not None:
            self.post_message(self.Toggle(self.row.key))
        else:
            self.action_back()

    def action_back(self) -> None:
        self.post_message(self.BackToPrompt())

    def on_key(self, event: events.Key) -> None:
        """Typing on a chip goes on in the prompt (x is this chip's own key)."""
        own = ("x", "space") if self.row.group is not None else ("x",)
        if event.is_printable and event.character and (self._typing or event.key not in own):
            event.stop()
            event.prevent_default()
            self._typing = True  # keys typed before the focus moves go along too
            self.post_message(self.BackToPrompt(event.character))

    def on_blur(self) -> None:
        self._typing = False

    def action_move(self, step: int) -> None:
        chips = list(self.parent.query_children(Chip)) if self.parent else []
        index = chips.index(self) + step
        if 0 <= index < len(chips):
            chips[index].focus()
            chips[index].scroll_visible()

    def on_click(self) -> None:
        self.focus()


def chip_content(number: int, row: ChipRow, exact: bool) -> Content:
    name = safe_display(row.label)
    if row.group is not None:
        opener = "▾" if row.group.expanded else "▸"
        head = f"{number}. {opener} {name} ({describe_files(row.files, row.size, row.tokens, exact)})"
    elif row.depth:
        head = f"{name} · {human_size(row.size)} · {tokens_text(row.tokens, exact)}"
    else:
        head = f"{number}. {name} · {human_size(row.size)} · {tokens_text(row.tokens, exact)}"
    parts: list[Content | str] = [Content.styled("📎 ", "$accent") if not row.depth else "", head]
    if row.notice:
        parts.append(Content.styled(f"  ⚠ {safe_display(row.notice)}", "$warning"))
    return Content.assemble(*parts)


class AttachProgress(Horizontal):
    DEFAULT_CSS = """
    AttachProgress { height: 1; display: none; }
    AttachProgress.active { display: block; }
    AttachProgress > Static { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    AttachProgress > ProgressBar { width: 30; height: 1; }
    AttachProgress > Button { height: 1; min-width: 10; border: none; margin-left: 1; }
    """

    class CancelRequested(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Static("", id="attach-status", markup=False)
        yield ProgressBar(show_eta=False, id="attach-bar")
        yield Button("Cancel", id="attach-cancel", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CancelRequested())

    def show(self, job: AttachJob | None) -> None:
        self.set_class(job is not None, "active")
        if job is None:
            return
        self.query_one("#attach-status", Static).update(
            Content(safe_display(job.status() + "  (Esc cancels)")))
        bar = self.query_one("#attach-bar", ProgressBar)
        fraction = job.fraction()
        if fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=max(fraction[1], 1), progress=fraction[0])


class AttachmentsBar(Vertical):
    DEFAULT_CSS = """
    AttachmentsBar { height: auto; margin: 0 1; }
    AttachmentsBar > #attach-summary { height: 1; color: $text-muted; padding: 0 1; display: none; }
    AttachmentsBar > #attach-chips { height: auto; max-height: 6; display: none; }
    AttachmentsBar.has-chips > #attach-summary { display: block; }
    AttachmentsBar.has-chips > #attach-chips { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield AttachProgress(id="attach-progress")
        yield Static("", id="attach-summary", markup=False)
        yield VerticalScroll(id="attach-chips", can_focus=False)

    def show_progress(self, job: AttachJob | None) -> None:
        self.query_one(AttachProgress).show(job)

    def show_chips(self, rows: list[ChipRow], exact: bool, summary: str) -> None:
        """Replace the chips; the focused one keeps focus when it is still there."""
        box = self.query_one("#attach-chips", VerticalScroll)
        focused = self.app.focused
        focused_key = focused.row.key if isinstance(focused, Chip) and focused.parent is box else None
        focused_index = list(box.query_children(Chip)).index(focused) if focused_key else -1
        with self.app.batch_update():
            box.remove_children()
            chips, number = [], 0
            for row in rows:
                if not row.depth:
                    number += 1
                chips.append(Chip(number, row, exact))
            box.mount_all(chips)
        self.set_class(bool(rows), "has-chips")
        self.query_one("#attach-summary", Static).update(Content(summary))
        if focused_key is not None:
            self.call_after_refresh(self._refocus, focused_key, focused_index)

    def _refocus(self, key: str, index: int) -> None:
        chips = list(self.query_one("#attach-chips").query_children(Chip))
        if not chips:
            self.app.call_later(self._focus_prompt)
            return
        same = [c for c in chips if c.row.key == key]
        target = same[0] if same else chips[min(index, len(chips) - 1)]
        target.focus()
        target.scroll_visible()

    def _focus_prompt(self) -> None:
        try:
            self.app.query_one("#prompt").focus()
        except Exception:  # noqa: BLE001 - shutting down
            pass

    @property
    def chips(self) -> list[Chip]:
        return list(self.query_one("#attach-chips").query_children(Chip))
