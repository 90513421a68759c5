"""The gauge with large attachments, and the question after /attach when they do not fit.

Counting a request exactly is ~0.12 s per MB of text (Tekken), and the gauge recounts the
draft's message — files included — after every pause in typing. Past HEAVY_CHARS of attached
text (pending or already in the chat) that count runs in a thread instead: one at a time,
the latest draft next, so typing never waits and the gauge catches up. The last such count
is kept (`AttachBook.memo`) and reused when nothing it depends on has changed, so sending
right after the gauge settled does not count the same megabytes again on the UI thread.

Mixed into NemoApp before ContextCommands: `refresh_gauge` and `current_accounting` here
fall through to it (`super()`) for ordinary sizes.
"""

from __future__ import annotations

from typing import Any

from textual import work

from nemo_tui.core.accounting import Accounting
from nemo_tui.core.attach_read import human_size
from nemo_tui.core.context import format_bytes, kv_cache_bytes, model_info_of
from nemo_tui.core.conversation import Attachment
from nemo_tui.core.languages import language_instruction
from nemo_tui.ui.screens.attach_overflow import AttachOverflowScreen

HEAVY_CHARS = 256 * 1024


class AttachGauge:
    # -- counting --------------------------------------------------------------------------
    def attached_chars(self) -> int:
        n = sum(len(a.content) for a in self.pending_attachments)
        for message in self.conversation.messages:
            if message.attachments:
                n += sum(len(a.content) for a in message.attachments)
        return n

    def refresh_gauge(self) -> None:
        if self.attached_chars() < HEAVY_CHARS:
            self.attach_book.memo = None  # it may hold megabytes no longer attached
            super().refresh_gauge()
            return
        book = self.attach_book
        book.gauge_wanted = True
        if not book.gauge_busy:
            self._next_gauge_count()

    def _next_gauge_count(self) -> None:
        book = self.attach_book
        try:
            draft = self.prompt.text
        except Exception:  # noqa: BLE001 - not mounted, or shutting down
            return
        book.gauge_wanted, book.gauge_busy = False, True
        self._count_gauge(draft)

    @work(thread=True, group="gauge-count", exit_on_error=False)
    def _count_gauge(self, draft: str) -> None:
        try:
            key = self._accounting_key(draft)
            accounting = super().current_accounting(draft)  # always fresh here
            self.attach_book.memo = (key, accounting)
        except Exception:  # noqa: BLE001 - e.g. the chat changed under us; the next count fixes it
            accounting = None
        self.call_from_thread_safely(self._gauge_counted, accounting)

    def _gauge_counted(self, accounting: Accounting | None) -> None:
        book = self.attach_book
        book.gauge_busy = False
        if accounting is not None:
            try:
                self.gauge.show(accounting)
                self._mark_dropped(accounting)
            except Exception:  # noqa: BLE001 - shutting down
                return
        if book.gauge_wanted:
            self._next_gauge_count()

    def current_accounting(self, draft: str | None = None) -> Accounting:
        text = self.prompt.text if draft is None else draft
        if self.attached_chars() < HEAVY_CHARS:
            return super().current_accounting(text)
        key = self._accounting_key(text)
        memo = self.attach_book.memo
        if memo is not None and memo[0] == key:
            return memo[1]
        accounting = super().current_accounting(text)
        self.attach_book.memo = (key, accounting)
        return accounting

    def _accounting_key(self, text: str) -> tuple[Any, ...]:
        """Everything current_accounting's answer depends on (safe to build in a thread)."""
        conversation, accountant = self.conversation, self.accountant
        facts = accountant.facts_for(conversation.model)
        return (  # not the routed model: routing may count the whole request itself
            "" if text.startswith("/") else text,
            tuple(id(a) for a in self.pending_attachments),
            id(conversation),
            tuple((id(m), m.status, len(m.content), len(m.attachments)) for m in conversation.messages),
            conversation.model, conversation.num_ctx, conversation.language, conversation.system_prompt,
            repr(sorted(conversation.options.items())), accountant.server_version,
            accountant.counter(conversation.model).ready, id(facts.show), repr(facts.ps), facts.size,
        )

    def accounting_with(self, attachments: list[Attachment]) -> Accounting:
        """The next request's accounting if these were the attachments (no draft)."""
        model = self.gauge_model()
        return self.accountant.account(
            self.conversation, model, language_instruction(self.conversation.language), "", attachments,
        )

    # -- right after /attach: does it fit? -------------------------------------------------
    async def attach_overflow(self, label: str, files: list[Attachment], accounting: Accounting) -> None:
        """Say how far over num_ctx the files go; ask what to do when the user is not typing.

        A dialog popping up mid-sentence would take the keys being typed, so with text in
        the prompt (or another dialog open) the same facts come as a note; the question is
        asked again before sending anyway.
        """
        text, fit, kv = self._overflow_facts(label, files, accounting)
        busy = bool(self.prompt.text.strip()) or len(self.screen_stack) > 1
        if busy:
            hint = f"/ctx {fit} raises num_ctx; " if fit else ""
            await self.show_note(f"{text}\n{hint}/detach removes files; sending asks first.", "warning")
            return
        noun = "file" if len(files) == 1 else f"{len(files):,} files"
        raise_label = None
        if fit:
            raise_label = f"Raise num_ctx to {fit:,}" + (f" (KV {format_bytes(kv)})" if kv else "")

        def decided(choice: str | None) -> None:
            if choice == "raise" and fit:
                self.conversation.num_ctx = fit
                self.session.save_chat()
                memory = f"; its KV cache takes {format_bytes(kv)}" if kv else ""
                self.notify(f"num_ctx set to {fit:,} for this chat{memory}.")
            elif choice == "drop":
                self.detach(files)
                self.notify(f"Dropped the {noun} just attached.")
            self.refresh_gauge()

        screen = AttachOverflowScreen(text, raise_label, f"Drop {'it' if len(files) == 1 else f'these {noun}'}")
        self.push_screen(screen, decided)

    def _overflow_facts(self, label: str, files: list[Attachment],
                        accounting: Accounting) -> tuple[str, int | None, int | None]:
        """(what to tell the user, the num_ctx that fits or None, its KV cache bytes)."""
        budget = accounting.budget
        assert budget is not None
        fit = budget.next_fitting_ctx()
        info = model_info_of(self.accountant.facts_for(accounting.model).show)
        kv = kv_cache_bytes(info, fit) if info and fit else None
        lines = [
            f"With {label} attached, the next request needs {budget.total:,} tokens "
            f"(reply reserve {budget.reply_reserve:,} included), but num_ctx is {budget.num_ctx:,}: "
            f"over by {budget.overflow_by:,}.",
            f"num_ctx: {accounting.num_ctx.source}.",
        ]
        if fit:
            memory = f"; its KV cache takes {format_bytes(kv)}" if kv else ""
            weights = f" on top of {format_bytes(accounting.model_size)} of weights" if kv and accounting.model_size else ""
            lines.append(f"Raising num_ctx to {fit:,} fits it{memory}{weights}.")
        else:
            trained = budget.training_context or accounting.num_ctx.training_context
            limit = f" ({trained:,} tokens)" if trained else ""
            lines.append(f"That is more than {accounting.model} was trained for{limit}: drop files, "
                         "or attach fewer (a subfolder, or a glob like 'src/**/*.py').")
        counted = sorted((a for a in files if a.tokens), key=lambda a: a.tokens or 0, reverse=True)
        if len(files) > 1 and counted:
            lines.append("Largest: " + ", ".join(f"{a.path} ({a.tokens:,} tokens, {human_size(a.size)})"
                                                 for a in counted[:4]) + ".")
        lines.append("Sent as it is, Ollama would silently drop the oldest messages or cut the prompt.")
        return "\n".join(lines), fit, kv
