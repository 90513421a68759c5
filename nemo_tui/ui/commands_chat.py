"""Per-chat request settings: /lang, /system, /set and /show (mixed into NemoApp).

Each lives on the Conversation (language, system_prompt, options), is saved with the chat and
goes out with every request through `request_extras` and `Conversation.request_messages`.
"""

from __future__ import annotations

from textual.content import Content

from nemo_tui.core.backend import classify
from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.languages import LANGUAGES, Language, find_language
from nemo_tui.core.model_choice import OPTIONS, OptionError, parse_option
from nemo_tui.ui.screens.choice import ChoiceScreen
from nemo_tui.ui.screens.system_prompt import SystemPromptScreen
from nemo_tui.ui.screens.text_screen import TextScreen
from nemo_tui.ui.screens.text_view import show_text

SET_USAGE = ("/set NAME VALUE with NAME one of " + ", ".join(OPTIONS)
             + " (like `ollama run`); /set NAME default unsets it")


class ChatSettingsCommands:
    SLASH_COMMANDS = (
        Command("lang", "reply language for this chat: a code, a name, or 'auto' (none: list)",
                args="[CODE]", aliases=("language",)),
        Command("system", "this chat's system prompt: TEXT, 'clear', or none to edit it",
                args="[TEXT|clear]"),
        Command("set", "sampling for this chat: temperature, top_p, seed, num_predict",
                args="NAME VALUE"),
        Command("show", "the model's details, parameters and template", args="[MODEL]"),
    )

    # -- /lang ------------------------------------------------------------------------------------
    async def cmd_lang(self, args: str) -> None:
        if not args:
            self.action_pick_language()
            return
        lang = find_language(args)
        if lang is None:
            codes = ", ".join(lang.code for lang in LANGUAGES)
            raise CommandError(f"/lang {args}: not a language I know. Use a code ({codes}), "
                               "an English or native name, or /lang alone for the list.")
        await self.set_language(lang)

    def action_pick_language(self) -> None:
        choices = [
            (lang.code, Content.assemble((f"{lang.native:<30}", "bold"), (f"{lang.english} · {lang.code}", "dim")))
            for lang in LANGUAGES
        ]
        current = find_language(self.conversation.language or "auto")

        async def chosen(code: str | None) -> None:
            if code:
                await self.set_language(find_language(code))

        self.push_screen(ChoiceScreen("Reply language for this chat — Enter picks, Esc cancels",
                                      choices, current.code if current else "auto"), chosen)

    async def set_language(self, lang: Language | None) -> None:
        if lang is None:
            return
        self.conversation.language = lang.code
        self.session.save_chat()
        self.refresh_gauge()
        if lang.code == "auto":
            await self.show_note("Reply language: auto (the model answers in the language you write).")
        else:
            await self.show_note(f"Replies in {lang.native} ({lang.english}) from now on in this chat.")

    # -- /system ----------------------------------------------------------------------------------
    async def cmd_system(self, args: str) -> None:
        if not args:
            async def edited(text: str | None) -> None:
                if text is not None:
                    await self.set_system_prompt(text)

            self.push_screen(SystemPromptScreen(self.conversation.system_prompt), edited)
        elif args.lower() == "clear":
            await self.set_system_prompt("")
        else:
            await self.set_system_prompt(args)

    async def set_system_prompt(self, text: str) -> None:
        self.conversation.system_prompt = text.strip()
        self.session.save_chat()
        self.refresh_gauge()
        if text.strip():
            lines = len(text.strip().splitlines())
            await self.show_note(f"System prompt set ({lines} line{'s' if lines != 1 else ''}); "
                                 "/system edits it, /system clear removes it.")
        else:
            await self.show_note("System prompt cleared.")

    # -- /set -------------------------------------------------------------------------------------
    async def cmd_set(self, args: str) -> None:
        words = args.split(maxsplit=1)
        if words and words[0].lower() == "parameter":  # `ollama run` spelling
            words = words[1].split(maxsplit=1) if len(words) > 1 else []
        if not words:
            await self.show_note(self.options_text())
            return
        if words[0].lower() == "system":
            await self.cmd_system(words[1] if len(words) > 1 else "")
            return
        try:
            name, value = parse_option(words[0], words[1] if len(words) > 1 else "")
        except OptionError as exc:
            raise CommandError(f"/set: {exc}") from None
        options = self.conversation.options
        if value is None:
            options.pop(name, None)
            what = f"{name}: back to the model's default."
        else:
            options[name] = value
            what = f"{name} = {value} for this chat."
        self.session.save_chat()
        self.refresh_gauge()
        self.notify(what, markup=False)

    def options_text(self) -> str:
        options = self.conversation.options
        shown = " · ".join(f"{k} {options[k]}" for k in OPTIONS if k in options)
        return f"This chat's options: {shown or 'none (the model defaults)'}. {SET_USAGE}."

    # -- /show -------------------------------------------------------------------------------------
    async def cmd_show(self, args: str) -> None:
        model = args.strip() or self.chat_model()
        try:
            show = await self.backend.show(model)
        except Exception as exc:  # noqa: BLE001 - say why
            raise CommandError(f"/show {model}: {classify(exc, self.backend.host, model).message}") from None
        options = {k: v for k, v in self.conversation.options.items()}
        if self.conversation.num_ctx:
            options["num_ctx"] = self.conversation.num_ctx
        await self.push_screen(TextScreen(show_text(model, show, options)))
