"""/context: where every token of the next request goes, and where num_ctx came from."""

from __future__ import annotations

from textual.content import Content

from nemo_tui.core.accounting import Accounting
from nemo_tui.core.context import format_bytes
from nemo_tui.core.sanitize import safe_display
from nemo_tui.ui.screens.text_screen import TextScreen


def breakdown_text(acc: Accounting, comparison: list[tuple[str, int | None]] | None = None) -> Content:
    ctx = acc.num_ctx
    out: list[Content | str] = [Content.styled(f"Context for {acc.model}\n", "bold")]
    out.append(f"  num_ctx        {ctx.value:,}  — {ctx.source}\n")
    if ctx.clamped:
        out.append(f"                 (asked for {ctx.requested:,}; clamped to the training context)\n")
    if ctx.training_context:
        out.append(f"  trained for    {ctx.training_context:,} tokens\n")
    if acc.kv_bytes:
        out.append(f"  KV cache       {format_bytes(acc.kv_bytes)} at this num_ctx (f16)\n")
    if acc.model_size:
        out.append(f"  model weights  {format_bytes(acc.model_size)}\n")
    out.append(f"  tokenizer      {acc.tokenizer}\n")
    budget = acc.budget
    if budget is None:
        out.append("\n  The tokenizer is still loading; counts appear in a moment.\n")
        return Content.assemble(*out)
    approx = "" if acc.exact else "≈"
    out.append(Content.styled("\nSegments\n", "bold"))
    for label, value in (
        ("system prompt", budget.system), ("history", budget.history),
        ("attachments (draft)", budget.attachments), ("draft", budget.draft),
        ("reply reserve", budget.reply_reserve),
    ):
        out.append(f"  {label:<22}{approx}{value:>9,}\n")
    out.append(f"  {'total':<22}{approx}{budget.total:>9,} of {budget.num_ctx:,} ({budget.fraction:.0%})\n")
    if budget.overflow_by:
        fit = budget.next_fitting_ctx()
        hint = f"; /ctx {fit} would fit it" if fit else "; more than the model can take"
        out.append(Content.styled(f"  over by {budget.overflow_by:,} tokens{hint}\n", "$error"))
    out.append(Content.styled("\nPer message (template tokens included)\n", "bold"))
    dropped = {id(m) for m in acc.dropped}
    for label, tokens in acc.per_message:
        out.append(f"  {approx}{tokens:>8,}  {safe_display(label)}\n")
    if acc.dropped:
        out.append(Content.styled(
            f"\n  Ollama will drop the {len(dropped)} oldest message(s): the model never sees them.\n",
            "$warning"))
    if acc.attachment_tokens:
        out.append(Content.styled("\nAttachments on the draft\n", "bold"))
        for attachment, tokens in acc.attachment_tokens:
            out.append(f"  {approx}{tokens:>8,}  {safe_display(attachment.path)}\n")
    if comparison:
        out.append(Content.styled("\nThe draft under each tokenizer\n", "bold"))
        for label, tokens in comparison:
            shown = "loading…" if tokens is None else f"{tokens:,}"
            out.append(f"  {shown:>9}  {label}\n")
    return Content.assemble(*out)


class BreakdownScreen(TextScreen):
    BODY_ID = "breakdown"
