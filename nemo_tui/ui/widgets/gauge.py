"""The context gauge: a segmented bar and the count Ollama will evaluate, against num_ctx.

It only renders an `Accounting` (core/accounting.py) and posts `Gauge.Clicked`.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from nemo_tui.core.accounting import Accounting
from nemo_tui.core.context import format_bytes

BAR_WIDTH = 24
SEGMENTS = (  # (budget attribute, theme variable, legend letter)
    ("system", "$gauge-system", "sys"),
    ("history", "$gauge-history", "hist"),
    ("attachments", "$gauge-attachments", "files"),
    ("draft", "$gauge-draft", "draft"),
    ("reply_reserve", "$gauge-reserve", "reply"),
)
LEVEL_STYLE = {"ok": "$gauge-ok", "warn": "$gauge-warn", "high": "$gauge-high", "over": "bold $gauge-over"}


def bar(accounting: Accounting, width: int = BAR_WIDTH) -> Content:
    """Segments sized by share of num_ctx; over the window, by share of the total."""
    budget = accounting.budget
    assert budget is not None
    scale = max(budget.num_ctx, budget.total) or 1
    cells: list[Content] = []
    used = 0
    for attr, style, _ in SEGMENTS:
        value = getattr(budget, attr)
        n = round(value * width / scale)
        if value and n == 0:
            n = 1
        n = min(n, width - used)
        if n:
            cells.append(Content.styled("█" * n, style))
            used += n
    cells.append(Content.styled("░" * (width - used), "$foreground 25%"))
    return Content.assemble(*cells)


def short_source(source: str, assumed: bool = False) -> str:
    """The num_ctx source in a few characters; the breakdown shows it in full."""
    for prefix, short in (("set with /ctx", "/ctx"), ("Modelfile", "Modelfile"),
                          ("loaded model", "ollama ps"), ("server default", "server default")):
        if source.startswith(prefix):
            return short + ("?" if assumed else "")
    return source


def describe(accounting: Accounting, width: int = 120) -> Content:
    """'▕bar▏ 12,345 / 32,768 tokens (38%) · num_ctx: Modelfile · KV 5.0 GiB · Tekken (exact)'"""
    ctx = accounting.num_ctx
    if not accounting.ready or accounting.budget is None:
        return Content.assemble(
            Content.styled("◌ loading tokenizer…", "$text-muted"),
            f"  num_ctx {ctx.value:,} ({ctx.source})",
        )
    budget = accounting.budget
    approx = "" if accounting.exact else "≈"
    level = budget.level
    parts: list[Content | str] = [
        "▕", bar(accounting, BAR_WIDTH if width >= 100 else BAR_WIDTH // 2), "▏ ",
        Content.styled(f"{approx}{budget.total:,} / {budget.num_ctx:,}{' tokens' if width >= 100 else ''}"
                       f" ({budget.fraction:.0%})", LEVEL_STYLE[level]),
    ]
    if level == "over":
        parts.append(Content.styled(f" over by {budget.overflow_by:,}", LEVEL_STYLE["over"]))
    parts.append(f" · {short_source(ctx.source, ctx.assumed)}{' (clamped)' if ctx.clamped else ''}")
    if accounting.kv_bytes:
        memory = f"KV {format_bytes(accounting.kv_bytes)}"
        if accounting.model_size and width >= 110:
            memory += f" + {format_bytes(accounting.model_size)} weights"
        parts.append(f" · {memory}")
    if width >= 100 or not accounting.exact:
        label = accounting.tokenizer if width >= 100 else "estimate"
        parts.append(Content.styled(f" · {label}", "$text-muted"))
    return Content.assemble(*parts)


def warnings_line(accounting: Accounting, last_check: str = "") -> Content | None:
    notes: list[Content | str] = []
    if accounting.dropped:
        n = len(accounting.dropped)
        notes.append(Content.styled(
            f"⚠ Ollama will silently drop the {n} oldest message{'s' if n != 1 else ''} "
            "(marked ⊘ in the chat) — /ctx to widen the window", "$warning"))
    if accounting.drop is not None and not accounting.drop.fits:
        notes.append(Content.styled(" ⚠ the latest message alone overflows num_ctx", "$error"))
    if last_check:
        notes.append(("   " if notes else "") + last_check)
    return Content.assemble(*notes) if notes else None


class Gauge(Static):
    DEFAULT_CSS = """
    Gauge { height: auto; max-height: 2; padding: 0 1; background: $surface; }
    Gauge:hover { background: $boost; }
    """

    class Clicked(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.accounting: Accounting | None = None
        self.last_check = ""

    def show(self, accounting: Accounting) -> None:
        self.accounting = accounting
        self._draw()

    def set_last_check(self, text: str) -> None:
        self.last_check = text
        self._draw()

    def _draw(self) -> None:
        if self.accounting is None:
            return
        line = describe(self.accounting, self.size.width or 120)
        extra = warnings_line(self.accounting, self.last_check)
        self.update(line if extra is None else Content("\n").join([line, extra]))

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Clicked())
