"""Which model answers: /model, the picker (Ctrl+G), auto routing, /pull, /compare, and the status
line's model, mode and GPU view. Mixed into NemoApp ahead of ContextCommands.

A chat's choice is `Conversation.model`: AUTO ("auto") routes each turn between the main model
(settings.model) and the fast one (settings.fallback_model); any other value pins that model.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.content import Content

from nemo_tui.core.backend import classify
from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.conversation import Attachment, Message
from nemo_tui.core.languages import find_language, language_instruction
from nemo_tui.core.model_choice import (
    AUTO,
    display_name,
    gpu_summary,
    mode_label,
    model_facts_line,
    parse_compare_args,
    resolve_model,
    route_for,
    short_label,
)
from nemo_tui.core.router import Route, RouteRules, Turn, canonical_model, same_model
from nemo_tui.core.stats import describe_stats
from nemo_tui.ui.screens.choice import ChoiceScreen
from nemo_tui.ui.screens.compare import CompareScreen
from nemo_tui.ui.screens.pull_offer import PullOffer
from nemo_tui.ui.widgets.offer import OfferNote

DEFAULT_MAIN = "mistral-nemo"


class ModelCommands:
    SLASH_COMMANDS = (
        Command("model", "pin a model for this chat, or 'auto' (no name: pick from a list)",
                args="[NAME|auto]", key="Ctrl+G"),
        Command("models", "installed models with size and quantization: pick one", key="Ctrl+G"),
        Command("pull", "download a model from the Ollama library", args="NAME"),
        Command("compare", "one prompt to two models side by side; the chat is unchanged",
                args="[A,B] PROMPT"),
    )

    model_entries: list[dict[str, Any]] | None = None  # the last /api/tags answer
    _fallback_noted = False  # the missing fallback model was mentioned (once per run)
    _ps_known = False  # /api/ps has answered at least once

    # -- which model -----------------------------------------------------------------------
    def initial_model_choice(self) -> str:
        """A new chat's Conversation.model: auto when it is on and there are two models."""
        s = self.settings
        if s.auto_route and not same_model(s.model or DEFAULT_MAIN, s.fallback_model):
            return AUTO
        return s.model or DEFAULT_MAIN

    def pinned_model(self) -> str | None:
        model = self.conversation.model
        return None if not model or model == AUTO else model

    def main_model(self) -> str:
        """The model that answers everything auto mode does not send to the fast one."""
        model = self.settings.model
        return DEFAULT_MAIN if not model or model == AUTO else model

    def fast_model(self) -> str:
        return self.settings.fallback_model

    def chat_model(self) -> str:
        """The pinned model, or the main one in auto mode (for /show, /compare)."""
        return self.pinned_model() or self.main_model()

    def fast_installed(self) -> bool | None:
        if self.installed is None:
            return None
        return canonical_model(self.fast_model()) in self.installed

    def route_rules(self) -> RouteRules:
        return RouteRules(main_model=self.main_model(), fast_model=self.fast_model(), auto=True,
                          short_prompt_tokens=self.settings.short_prompt_tokens)

    def _turn(self, text: str, attachments: list[Attachment]) -> Turn:
        """What auto mode weighs, counted with the fast model's tokenizer (None: loading)."""
        fast, conv, accountant = self.fast_model(), self.conversation, self.accountant
        counter = accountant.counter(fast)
        ctx = accountant.num_ctx(fast, conv.num_ctx).value
        if not counter.ready:
            return Turn(None, bool(attachments), None, ctx)
        if attachments:
            return Turn(None, True, None, ctx)  # goes to the main model: no need to count
        new_tokens = counter.count_text(text)
        if new_tokens > self.route_rules().short_prompt_tokens:
            return Turn(new_tokens, False, None, ctx)  # too long already: skip the full count
        last = conv.messages[-1] if conv.messages else None
        # While sending, the new message is already the chat's last one; for the gauge it is not.
        sent = last is not None and last.role == "user" and last.content == text and last.attachments == attachments
        extra = None if sent or not (text or attachments) else Message("user", text, attachments=attachments)
        messages = conv.request_messages(language_instruction(conv.language), extra=extra)
        reserve = int((conv.options or {}).get("num_predict") or 0) or accountant.reply_reserve
        total = counter.count_request(messages) + max(reserve, 0) if messages else 0
        return Turn(new_tokens, False, total, ctx)

    def route_turn(self, text: str, attachments: list[Attachment]) -> Route:
        """The model for a turn with this text (the session's router and the gauge's)."""
        pinned = self.pinned_model()
        rules = self.route_rules()
        if pinned is None and same_model(rules.main_model, rules.fast_model):
            pinned = rules.main_model
        turn = self._turn(text, attachments) if pinned is None else Turn(None, False, None, None)
        return route_for(rules, turn, pinned, self.installed)

    # -- the status line -----------------------------------------------------------------------
    def refresh_model_status(self) -> None:
        try:
            status = self.status
        except Exception:  # noqa: BLE001 - not mounted yet, or shutting down
            return
        pinned = self.pinned_model()
        if pinned:
            model, route = display_name(pinned), "pinned"
        else:
            model, route = AUTO, mode_label(self.main_model(), self.fast_model(), self.fast_installed())
        lang = find_language(self.conversation.language or "")
        gpu, warn = gpu_summary(self.running_models if self._ps_known else None)
        changes = dict(model=model, route=route, gpu=gpu, gpu_warning=warn,
                       language="" if lang is None or lang.code == "auto" else lang.native)
        if any(getattr(status.state, k) != v for k, v in changes.items()):
            status.set(**changes)

    def refresh_gauge(self) -> None:
        super().refresh_gauge()  # type: ignore[misc]
        self.refresh_model_status()

    async def on_mount(self) -> None:
        # After the first frame, like the app's own tokenizer: auto mode counts with both.
        self.call_after_refresh(self._load_route_tokenizers)
        self.refresh_model_status()

    def _load_route_tokenizers(self) -> None:
        models = [self.pinned_model()] if self.pinned_model() else [self.main_model(), self.fast_model()]
        for model in models:
            if not self.accountant.counter(model).ready:
                self.load_tokenizer(model)

    async def refresh_model_facts(self, version: str, models: list[dict[str, Any]]) -> None:
        self.model_entries = list(models)
        before = self.running_models
        await super().refresh_model_facts(version, models)  # type: ignore[misc]
        self._ps_known = self._ps_known or self.running_models is not before
        wanted = [self.pinned_model()] if self.pinned_model() else [self.main_model(), self.fast_model()]
        fetched = False
        for model in wanted:
            facts = self.accountant.facts_for(model)
            if facts.show is None and canonical_model(model) in (self.installed or set()):
                try:
                    facts.show = await self.backend.show(model)
                    fetched = True
                except Exception:  # noqa: BLE001 - retried on the next poll
                    pass
        if fetched:
            self.refresh_gauge()
        self.refresh_model_status()
        await self._note_missing_fallback()
        await self._retire_offers()

    def _poll_facts_now(self) -> None:
        """Fetch the new model's facts now rather than at the next poll."""
        if self.server_version is not None and self.model_entries is not None:
            self.run_worker(self.refresh_model_facts(self.server_version, list(self.model_entries)),
                            group="model-facts")

    # -- switching -------------------------------------------------------------------------------
    async def cmd_model(self, args: str) -> None:
        if not args:
            await self.action_pick_model()
        elif args.lower() == AUTO:
            await self.use_auto()
        else:
            name = self._resolve(args, f"/model {args}")
            if name is None:
                self._offer_pull(args, then=lambda: self.pin_model(args),
                                 on_cancel=lambda: self.restore_prompt(f"/model {args}", []))
                return
            await self.pin_model(name)

    async def cmd_new(self, args: str) -> None:
        await super().cmd_new(args)  # type: ignore[misc]
        self._load_route_tokenizers()
        self.refresh_gauge()  # and the status line: the new chat's mode and language

    async def cmd_models(self, args: str) -> None:
        await self.action_pick_model()

    def _resolve(self, wanted: str, what: str) -> str | None:
        name, candidates = resolve_model(wanted, self.installed)
        if name is None and candidates:
            raise CommandError(f"{what}: that matches {', '.join(candidates)}; type more of the name.")
        return name

    async def pin_model(self, name: str) -> None:
        self.conversation.model = name
        self.session.save_chat()
        self.load_tokenizer(name)
        self.refresh_gauge()
        self._poll_facts_now()
        await self.show_note(f"Model: {name} (pinned). The chat keeps its history; "
                             "/model auto goes back to auto mode.")

    async def use_auto(self) -> None:
        main, fast = self.main_model(), self.fast_model()
        if same_model(main, fast):
            raise CommandError(f"Auto mode needs two models, but model and fallback_model are both "
                               f"{main}. Set fallback_model in the config file.")
        self.conversation.model = AUTO
        self.session.save_chat()
        self._load_route_tokenizers()
        self.refresh_gauge()
        self._poll_facts_now()
        limit = self.settings.short_prompt_tokens
        await self.show_note(f"Auto mode: prompts of up to {limit} tokens go to {fast}; longer ones, "
                             f"prompts with files and long chats to {main}.")
        await self._note_missing_fallback()

    async def action_pick_model(self) -> None:
        try:
            entries = await self.backend.list_models()
        except Exception as exc:  # noqa: BLE001 - say why, change nothing
            self.notify(f"Cannot list the models: {classify(exc, self.backend.host).message}",
                        severity="error", markup=False)
            return
        self.model_entries = entries
        self.installed = {canonical_model(e.get("model") or e.get("name") or "") for e in entries}
        main, fast = self.main_model(), self.fast_model()
        missing = "" if self.fast_installed() else f"  ({fast} is not installed)"
        choices: list[tuple[str, Content]] = [
            (AUTO, _label("auto", f"short prompts → {short_label(fast)}, the rest → {short_label(main)}{missing}"))
        ]
        for entry in sorted(entries, key=lambda e: str(e.get("model") or e.get("name") or "")):
            name = canonical_model(str(entry.get("model") or entry.get("name") or ""))
            choices.append((name, _label(display_name(name), model_facts_line(entry))))
        pinned = self.pinned_model()
        current = canonical_model(pinned) if pinned else AUTO

        async def chosen(choice: str | None) -> None:
            if choice == AUTO:
                try:
                    await self.use_auto()
                except CommandError as exc:
                    self.notify(str(exc), severity="error", markup=False)
            elif choice:
                await self.pin_model(display_name(choice))

        self.push_screen(ChoiceScreen("Model for this chat — Enter picks, Esc cancels", choices, current),
                         chosen)

    # -- pulling ------------------------------------------------------------------------------------
    async def cmd_pull(self, args: str) -> None:
        if not args:
            raise CommandError("/pull needs a model name, e.g. /pull mistral:7b")
        self._offer_pull(args, reason=f"Pull {args} from the Ollama library.",
                         on_cancel=lambda: None)

    def _offer_pull(self, model: str, then=None, on_cancel=None, reason: str = "") -> None:
        async def after(pulled: bool | None) -> None:
            self.prompt.focus()
            if not pulled:
                if on_cancel is not None:
                    on_cancel()
                return
            self.installed = (self.installed or set()) | {canonical_model(model)}
            self.load_tokenizer(model)
            self._poll_facts_now()
            self.refresh_gauge()
            await self.show_note(f"{model} is installed.")
            await self._retire_offers()
            if then is not None:
                await then()

        reason = reason or f"Model {model} is not installed on this Ollama server."
        self.push_screen(PullOffer(self.backend, model, reason, f"Pull {model} now?"), after)

    # -- models that are missing -------------------------------------------------------------------
    async def _note_missing_fallback(self) -> None:
        """Auto mode without its fast model says so once, with an offer to pull it."""
        if self._fallback_noted or self.pinned_model() or self.fast_installed() is not False:
            return
        main, fast = self.main_model(), self.fast_model()
        if same_model(main, fast):
            return
        try:
            chat = self.chat
        except Exception:  # noqa: BLE001 - shutting down
            return
        self._fallback_noted = True
        text = (f"Auto mode sends short prompts to {fast}, which is not installed on this server, "
                f"so {main} answers every prompt meanwhile. Pull it (or /pull {fast}); "
                "auto_route = false in the config file turns auto mode off.")
        await chat.add(OfferNote(text, f"Pull {fast}", fast))

    async def on_offer_note_taken(self, event: OfferNote.Taken) -> None:
        self._offer_pull(event.offer.key, reason=f"Auto mode sends short prompts to {event.offer.key}.")

    async def _retire_offers(self) -> None:
        """Offers to pull a model that is installed now leave the chat."""
        try:
            offers = list(self.chat.query(OfferNote))
        except Exception:  # noqa: BLE001 - shutting down
            return
        for offer in offers:
            if canonical_model(offer.key) in (self.installed or set()):
                await offer.remove()

    def reroute_missing(self, model: str, prompt: str, attachments: list[Attachment]) -> bool:
        """Auto mode's fast model gave 404: send the turn to the main model instead.

        Called by the app before it offers to pull a missing model; False leaves that offer.
        """
        main, fast = self.main_model(), self.fast_model()
        if self.pinned_model() or not same_model(model, fast) or same_model(model, main):
            return False
        self.installed = (self.installed or set()) - {canonical_model(fast)}
        self._fallback_noted = True
        self.refresh_model_status()
        self.run_worker(self._resend(prompt, attachments, (
            f"{fast} is gone from the server, so auto mode sends this prompt to {main} instead "
            f"(and every prompt until it is back: /pull {fast})."
        )), group="reroute")
        return True

    async def _resend(self, prompt: str, attachments: list[Attachment], note: str) -> None:
        for _ in range(200):  # the failed turn's worker is finishing
            if not self.session.running:
                break
            await asyncio.sleep(0.02)
        await self.show_note(note, "warning")
        box = self.prompt
        if box.text == prompt:
            box.load_text("")
        elif box.text.startswith(prompt + "\n\n"):
            box.load_text(box.text[len(prompt) + 2:])
        self.pending_attachments = [a for a in self.pending_attachments if a not in attachments]
        self._start_turn(prompt, attachments)

    # -- /compare ----------------------------------------------------------------------------------
    async def cmd_compare(self, args: str) -> None:
        names, prompt = parse_compare_args(args)
        if not prompt:
            raise CommandError("/compare needs a prompt: /compare [A,B] PROMPT")
        if self.session.running:
            raise CommandError("A reply is still streaming; Esc stops it, then /compare.")
        if names:
            pair = [self._resolve(n, f"/compare {n}") or n for n in names]
        else:
            pair = [self.chat_model(), self.fast_model()]
            if same_model(*pair):
                pair = [self.main_model(), self.fast_model()]
        if same_model(*pair):
            raise CommandError(f"/compare needs two different models: /compare A,B PROMPT")
        missing = [m for m in pair if self.installed is not None and canonical_model(m) not in self.installed]
        if missing:
            raise CommandError(f"/compare: {', '.join(missing)} not installed (/pull NAME), or name "
                               "two installed models: /compare A,B PROMPT")

        def request_for(model: str):
            instruction, options = self.request_extras(model)
            extra = Message("user", prompt)
            return self.conversation.request_messages(instruction, extra=extra), options

        async def kept(reply: Message | None) -> None:
            if reply is not None:
                await self._keep_compared(prompt, reply)

        self.push_screen(CompareScreen(self.backend, (pair[0], pair[1]), prompt, request_for), kept)

    async def _keep_compared(self, prompt: str, reply: Message) -> None:
        conv, session = self.conversation, self.session
        user = Message("user", prompt)
        if not conv.title:
            conv.title = " ".join(prompt.split())[:60]
        for message in (user, reply):
            conv.messages.append(message)
            session.save_message(message)
        session.save_chat()
        await self.show_message(user)
        view = await self.show_message(reply)
        figures = describe_stats(reply.stats, reply.stats.get("first_token_s"))
        view.set_footer(" · ".join(p for p in (reply.model, reply.route_reason, figures) if p))
        self.refresh_gauge()


def _label(name: str, facts: str) -> Content:
    return Content.assemble((f"{name:<40}", "bold"), (facts, "dim"))
