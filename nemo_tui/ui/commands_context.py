"""The gauge's plumbing in the app, and /ctx and /context.

Mixed into NemoApp: recount on (debounced) draft changes, load tokenizers in a thread, learn
num_ctx facts from the server, mark messages Ollama will drop, compare each reply's
prompt_eval_count with the prediction, and ask before sending a prompt that does not fit.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from textual import work

from nemo_tui.core.accounting import Accounting
from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.context import format_bytes, kv_cache_bytes, model_info_of, parse_ctx
from nemo_tui.core.conversation import Attachment, Message
from nemo_tui.core.languages import language_instruction
from nemo_tui.core.router import canonical_model
from nemo_tui.core.tokens import SPM_V3, TEKKEN, counter_for
from nemo_tui.ui.screens.breakdown import BreakdownScreen, breakdown_text
from nemo_tui.ui.screens.overflow import OverflowScreen
from nemo_tui.ui.widgets.gauge import Gauge
from nemo_tui.ui.widgets.prompt import PromptInput

DEBOUNCE = 0.05
NOT_SEEN = "⊘ not seen by the model (outside num_ctx) · "


class ContextCommands:
    _gauge_last = 0.0
    SLASH_COMMANDS = (
        Command("ctx", "set this chat's context window: 8192, 32k, 128k, or 'auto'", args="N"),
        Command("context", "where every token of the next request goes", key="click the gauge"),
    )

    # -- counting ------------------------------------------------------------------------------
    def gauge_model(self, draft: str = "") -> str:
        return self.route_turn(draft, self.pending_attachments).model

    def current_accounting(self, draft: str | None = None) -> Accounting:
        text = self.prompt.text if draft is None else draft
        if text.startswith("/"):
            text = ""  # a command is not sent to the model
        model = self.gauge_model(text)
        return self.accountant.account(
            self.conversation, model, language_instruction(self.conversation.language),
            text, self.pending_attachments,
        )

    def refresh_gauge(self) -> None:
        try:
            gauge = self.gauge
        except Exception:  # noqa: BLE001 - not mounted yet, or shutting down
            return
        accounting = self.current_accounting()
        gauge.show(accounting)
        self._mark_dropped(accounting)

    def on_prompt_input_draft_changed(self, event: PromptInput.DraftChanged) -> None:
        """Recount at once, at most every DEBOUNCE s; a burst ends with one trailing recount."""
        if self._gauge_timer is not None:
            self._gauge_timer.stop()
            self._gauge_timer = None
        now = time.monotonic()
        if now - self._gauge_last >= DEBOUNCE:
            self._gauge_last = now
            self.refresh_gauge()
        else:
            self._gauge_timer = self.set_timer(DEBOUNCE, self.refresh_gauge)

    def on_gauge_clicked(self, event: Gauge.Clicked) -> None:
        self.run_worker(self.cmd_context(""))

    @work(thread=True, group="tokenizer")
    def load_tokenizer(self, model: str) -> None:
        """Load the model's tokenizer off the UI thread (~1 s for Tekken)."""
        counter = self.accountant.counter(model)
        try:
            counter.load()
        except Exception as exc:  # noqa: BLE001 - the app works on without exact counts
            self.call_from_thread(
                self.notify, f"Could not load the {counter.spec.label} tokenizer: {exc}", severity="error"
            )
            return
        self.call_from_thread(self.refresh_gauge)

    def predict_prompt_tokens(self, model: str, messages: list[dict[str, str]]) -> int | None:
        num_ctx = self.accountant.num_ctx(model, self.conversation.num_ctx).value
        return self.accountant.predict_prompt(model, messages, num_ctx)

    # -- what the server says -------------------------------------------------------------------
    async def refresh_model_facts(self, version: str, models: list[dict[str, Any]]) -> None:
        accountant = self.accountant
        accountant.server_version = version
        for entry in models:
            accountant.facts_for(entry.get("model") or entry.get("name") or "").size = entry.get("size")
        wanted = {self.conversation.model, self.gauge_model("")}
        for model in wanted:
            facts = accountant.facts_for(model)
            if facts.show is None and canonical_model(model) in (self.installed or set()):
                try:
                    facts.show = await self.backend.show(model)
                except Exception:  # noqa: BLE001 - retried on the next poll
                    pass
                else:
                    if not accountant.counter(model).ready:
                        self.load_tokenizer(model)  # the family may have changed the choice
        try:
            running = await self.backend.ps()
        except Exception:  # noqa: BLE001 - the poll tries again
            running = None
        if running is not None:
            loaded = {canonical_model(e.get("model") or e.get("name") or ""): e for e in running}
            for name, facts in accountant.facts.items():
                facts.ps = loaded.get(name)
            self.running_models = running
        self.refresh_gauge()

    def check_prediction(self, message: Message) -> None:
        server = message.stats.get("prompt_eval_count")
        predicted = message.predicted_prompt_tokens
        if server is None or predicted is None or message.status != "complete":
            return
        if server == predicted:
            self.gauge.set_last_check(f"last reply: server counted {server:,} prompt tokens = predicted ✓")
            return
        self.gauge.set_last_check(f"last reply: server counted {server:,}, gauge predicted {predicted:,} ≠")
        self._log_mismatch(message, server, predicted)

    def _log_mismatch(self, message: Message, server: int, predicted: int) -> None:
        """A mismatch on a Mistral model is a counting bug: keep the evidence."""
        try:
            path = Path(self.settings.data_dir) / "count-mismatches.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {"time": time.time(), "model": message.model, "server": server,
                      "predicted": predicted, "server_version": self.accountant.server_version}
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        except OSError:
            pass

    def _mark_dropped(self, accounting: Accounting) -> None:
        dropped = {id(m) for m in accounting.dropped}
        for message in self.conversation.messages:
            view = self.views.get(id(message))
            if view is None:
                continue
            seen = id(message) not in dropped
            if view.has_class("not-seen") == seen:
                view.set_class(not seen, "not-seen")
                header = view._header_text.removeprefix(NOT_SEEN)
                view.set_header(header if seen else NOT_SEEN + header)

    # -- before sending -------------------------------------------------------------------------
    def overflow_question(self, text: str, attachments: list[Attachment]) -> tuple[str, int | None] | None:
        """(question, the num_ctx that would fit) when the prompt does not fit, else None."""
        accounting = self.current_accounting(text)
        budget = accounting.budget
        if budget is None or budget.fits:
            return None
        fit = budget.next_fitting_ctx()
        lines = [
            f"This prompt needs {budget.total:,} tokens (reply reserve {budget.reply_reserve:,} included) "
            f"but num_ctx is {budget.num_ctx:,}: over by {budget.overflow_by:,}.",
            f"num_ctx: {accounting.num_ctx.source}.",
        ]
        if fit:
            info = model_info_of(self.accountant.facts_for(accounting.model).show)
            kv = kv_cache_bytes(info, fit) if info else None
            lines.append(f"Raising num_ctx to {fit:,} fits it" + (f"; its KV cache takes {format_bytes(kv)}." if kv else "."))
        else:
            lines.append("It is more than this model's training context; drop files or start a new chat.")
        lines.append("Sending anyway lets Ollama silently drop the oldest messages.")
        return "\n".join(lines), fit

    def ask_overflow(self, question: str, fit: int | None, send) -> None:
        def decided(choice: str | None) -> None:
            if choice == "raise" and fit:
                self.conversation.num_ctx = fit
                self.session.save_chat()
                self.notify(f"num_ctx set to {fit:,} for this chat.")
            if choice in ("raise", "send"):
                send()
            self.refresh_gauge()

        label = f"Raise num_ctx to {fit:,}" if fit else None
        self.push_screen(OverflowScreen(question, label), decided)

    # -- commands -------------------------------------------------------------------------------
    async def cmd_ctx(self, args: str) -> None:
        if not args:
            ctx = self.accountant.num_ctx(self.gauge_model(), self.conversation.num_ctx)
            await self.show_note(f"num_ctx is {ctx.value:,} ({ctx.source}). /ctx 32k sets it for this chat.")
            return
        if args.lower() in ("auto", "off", "default"):
            self.conversation.num_ctx = None
            self.notify("num_ctx: back to what the server uses.")
        else:
            try:
                value = parse_ctx(args)
            except ValueError as exc:
                raise CommandError(f"/ctx {args}: {exc}") from None
            self.conversation.num_ctx = value
            ctx = self.accountant.num_ctx(self.gauge_model(), value)
            clamp = f" (clamped to the training context {ctx.value:,})" if ctx.clamped else ""
            self.notify(f"num_ctx {value:,} for this chat{clamp}; every request now sends it.")
        self.session.save_chat()
        self.refresh_gauge()

    async def cmd_context(self, args: str) -> None:
        accounting = self.current_accounting()
        draft = self.prompt.text if not self.prompt.text.startswith("/") else ""
        comparison = None
        if draft:
            comparison = []
            for spec, name in ((TEKKEN, "mistral-nemo"), (SPM_V3, "mistral:7b")):
                counter = counter_for(name)
                comparison.append((f"{spec.label} — {name}", counter.count_text(draft) if counter.ready else None))
                if not counter.ready:
                    self.load_tokenizer(name)
        await self.push_screen(BreakdownScreen(breakdown_text(accounting, comparison)))
