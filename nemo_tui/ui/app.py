"""NemoApp: composes the screen, owns one ChatSession, routes messages between them."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer

from nemo_tui.core.accounting import Accounting, ContextAccountant
from nemo_tui.core.backend import OllamaBackend, classify
from nemo_tui.core.commands import CommandError, looks_like_command
from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.languages import language_instruction
from nemo_tui.core.router import Route, canonical_model
from nemo_tui.ui import gc_policy
from nemo_tui.ui.command_handlers import CommandHandlers, build_registry
from nemo_tui.ui.commands_attach import AttachCommands
from nemo_tui.ui.commands_chat import ChatSettingsCommands
from nemo_tui.ui.commands_context import ContextCommands
from nemo_tui.ui.commands_history import HistoryCommands
from nemo_tui.ui.commands_look import LookCommands
from nemo_tui.ui.commands_models import ModelCommands
from nemo_tui.ui.screens.pull import PullScreen
from nemo_tui.ui.session import ChatSession
from nemo_tui.ui.widgets.attachments_bar import AttachmentsBar
from nemo_tui.ui.widgets.chat_view import ChatView
from nemo_tui.ui.widgets.gauge import Gauge
from nemo_tui.ui.widgets.message import MessageView
from nemo_tui.ui.widgets.prompt import PromptInput
from nemo_tui.ui.widgets.status_line import StatusLine, StatusState

POLL_ONLINE = 5.0
POLL_OFFLINE = 2.0


class NemoApp(HistoryCommands, LookCommands, ModelCommands, AttachCommands, ChatSettingsCommands,
              ContextCommands, CommandHandlers, App[None]):
    TITLE = "nemo-tui"
    AUTO_FOCUS = "PromptInput"
    CSS = """
    Screen { layout: vertical; }
    #prompt { margin: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "stop", "Stop", id="stop"),
        Binding("ctrl+r", "retry", "Retry", id="retry"),
        Binding("ctrl+n", "new_chat", "New", id="new"),
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+l", "chats", "Chats", id="chats"),
        Binding("ctrl+o", "copy_reply", "Copy", id="copy"),
        Binding("ctrl+t", "pick_theme", "Theme", id="theme", show=False),
        Binding("ctrl+up", "focus_message(-1)", "Messages", id="messages", show=False),
        Binding("up", "suggest_move(-1)", show=False, priority=True, id="suggest-up"),
        Binding("down", "suggest_move(1)", show=False, priority=True, id="suggest-down"),
        Binding("ctrl+g", "pick_model", "Model", id="model"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, settings: Any, resume: int | str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.registry = build_registry(type(self))
        self.backend = OllamaBackend(settings.host, settings.request_timeout)
        self.store = self._open_history()  # resume: None, "last" or a chat id
        self.conversation = self._resumed_conversation(resume) or self._new_conversation()
        self.session = self._new_session()
        self.installed: set[str] | None = None
        self.server_version: str | None = None
        self.views: dict[int, MessageView] = {}  # id(Message) → its view
        self.startup_warnings: list[str] = []
        self.accountant = ContextAccountant(reply_reserve=settings.reply_reserve)
        self.pending_attachments: list[Attachment] = []  # go with the next prompt
        self._gauge_timer: Any = None
        self.running_models: list[dict[str, Any]] = []  # /api/ps, refreshed by the monitor

    # -- construction ----------------------------------------------------------------------
    def _new_conversation(self) -> Conversation:
        s = self.settings
        options = {
            k: getattr(s, k) for k in ("temperature", "top_p", "seed", "num_predict")
            if getattr(s, k, None) is not None
        }
        return Conversation(
            model=self.initial_model_choice(), num_ctx=s.num_ctx, language=s.language,
            system_prompt=s.system_prompt, options=options,
        )

    def _new_session(self) -> ChatSession:
        return ChatSession(
            self.conversation, self.backend, self,
            route=self.route_turn, request_extras=self.request_extras,
            predict_tokens=self.predict_prompt_tokens, store=self.store,
        )

    def compose(self) -> ComposeResult:
        yield StatusLine(StatusState(host=self.settings.host, model=self.conversation.model), id="status")
        yield ChatView(id="chat")
        yield Gauge(id="gauge")
        yield AttachmentsBar(id="attachments")
        yield PromptInput(id="prompt")
        yield Footer()

    async def on_mount(self) -> None:
        for warning in self.startup_warnings:
            await self.show_note(warning, "warning")
        self.refresh_gauge()
        # The first frame comes first: the ollama client and the tokenizer load after it.
        self.call_after_refresh(self._start_background)
        self.set_timer(0.5, gc_policy.checkpoint)

    def _main_screen(self) -> Screen:
        """The chat screen, even while a dialog is on top."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    def _start_background(self) -> None:
        self._monitor_connection()
        self.load_tokenizer(self.conversation.model)

    @property
    def status(self) -> StatusLine:
        return self._main_screen().query_one("#status", StatusLine)

    @property
    def chat(self) -> ChatView:
        return self._main_screen().query_one("#chat", ChatView)

    @property
    def prompt(self) -> PromptInput:
        return self._main_screen().query_one("#prompt", PromptInput)

    @property
    def gauge(self) -> Gauge:
        return self._main_screen().query_one("#gauge", Gauge)

    # -- what a request carries --------------------------------------------------------------
    # route_turn(text, attachments) → Route: ModelCommands (auto routing or the pinned model)
    def request_extras(self, model: str) -> tuple[str, dict[str, Any]]:
        options = dict(self.conversation.options)
        if self.conversation.num_ctx:
            options["num_ctx"] = self.conversation.num_ctx
        return language_instruction(self.conversation.language), options

    # -- ChatSurface ------------------------------------------------------------------------
    async def show_message(self, message: Message, streaming: bool = False) -> MessageView:
        if message.role == "user":
            header = "You"
            if message.attachments:
                header += f"  (+{len(message.attachments)} attached)"
        else:
            header = message.model or "assistant"
        view = MessageView(message.role, header, message.content, streaming=streaming,
                           attachments=message.attachments)
        self.views[id(message)] = view
        await self.chat.add(view)
        if message.role == "assistant" and not streaming and message.status != "complete":
            view.set_footer(f"{message.status}: {message.error or ''}".strip(": "), message.status)
        return view

    async def remove_message(self, message: Message) -> None:
        view = self.views.pop(id(message), None)
        if view is not None:
            await view.remove()

    def restore_prompt(self, text: str, attachments: list[Attachment]) -> None:
        self.pending_attachments = list(attachments) + [
            a for a in self.pending_attachments if a not in attachments
        ]
        prompt = self.prompt
        if prompt.text.strip():
            prompt.load_text(f"{text}\n\n{prompt.text}")
        else:
            prompt.load_text(text)
        prompt.move_cursor(prompt.document.end)
        prompt.focus()

    async def show_note(self, text: str, kind: str = "info") -> None:
        await self.chat.note(text, kind)

    def offer_pull(self, model: str, prompt: str, attachments: list[Attachment]) -> None:
        if self.reroute_missing(model, prompt, attachments):
            return  # auto mode's fast model is gone: the main model answers instead

        def after(pulled: bool | None) -> None:
            if pulled:
                self.installed = (self.installed or set()) | {canonical_model(model)}
                self.notify(f"{model} is installed. Sending your prompt.")
                if self.prompt.text == prompt:
                    self.prompt.load_text("")
                self._start_turn(prompt, attachments)

        self.push_screen(PullScreen(self.backend, model), after)

    def turn_finished(self, message: Message) -> None:
        try:
            self.prompt.focus()
            self.check_prediction(message)
        except (NoMatches, ScreenStackError):
            return  # the app is closing
        self.refresh_gauge()

    # -- input ------------------------------------------------------------------------------
    async def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        text = event.text.strip()
        if not text and not self.pending_attachments:
            return
        if looks_like_command(text):
            await self.run_command_text(text)
            return
        if self.session.running:
            self.notify("A reply is still streaming — Esc stops it. Your prompt is kept.", severity="warning")
            return
        draft, attachments = event.text.rstrip(), list(self.pending_attachments)

        def send() -> None:
            self.prompt.remember(draft)
            if self.prompt.text.rstrip() == draft:
                self.prompt.load_text("")
            self.pending_attachments = [a for a in self.pending_attachments if a not in attachments]
            self._start_turn(draft, attachments)

        question = self.overflow_question(draft, attachments)
        if question is None:
            send()
        else:
            self.ask_overflow(*question, send)

    async def run_command_text(self, text: str) -> None:
        try:
            command, args = self.registry.parse(text)
        except CommandError as exc:
            self.notify(str(exc), severity="error", markup=False)  # may quote what was typed
            return  # the typed text stays in the prompt to fix
        self.prompt.remember(text)
        self.prompt.load_text("")
        try:
            await getattr(self, command.handler)(args)
        except CommandError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            self.restore_prompt(text, [])

    def _start_turn(self, text: str, attachments: list[Attachment]) -> None:
        self._run_turn(self.session.send(text, attachments))

    def _run_turn(self, work) -> None:
        async def turn() -> None:
            gc_policy.pause()
            try:
                await work
            finally:
                # After the final frame, so the collection does not delay it.
                self.set_timer(0.2, gc_policy.resume)

        self.run_worker(turn(), group="reply", exclusive=True)

    # -- actions ------------------------------------------------------------------------------
    def action_stop(self) -> None:
        if self.session.running:
            self.workers.cancel_group(self, "reply")
        else:
            self.cancel_attach()

    async def action_retry(self) -> None:
        if self.session.running:
            return
        self._run_turn(self._retry())

    async def _retry(self) -> None:
        if not await self.session.retry():
            self.notify("Nothing to retry: the last reply finished normally.")

    async def action_new_chat(self) -> None:
        await self.cmd_new("")

    async def action_help(self) -> None:
        await self.cmd_help("")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from nemo_tui.ui.themes import gauge_variable_defaults

        return {**super().get_theme_variable_defaults(), **gauge_variable_defaults()}

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        for command in self.registry:
            yield SystemCommand(f"/{command.name}", command.help, self._palette_runner(command))

    def _palette_runner(self, command):
        async def run() -> None:
            if command.args:
                self.prompt.load_text(f"/{command.name} ")
                self.prompt.move_cursor(self.prompt.document.end)
                self.prompt.focus()
            else:
                await self.run_command_text(f"/{command.name}")

        return run

    # -- the server ---------------------------------------------------------------------------
    @work(group="monitor", exclusive=True)
    async def _monitor_connection(self) -> None:
        """Check the server now and then; never crash when it is away."""
        try:
            await self._monitor_loop()
        except (NoMatches, ScreenStackError):
            pass  # the app is closing while a check was under way

    async def _monitor_loop(self) -> None:
        warned = False
        await self.backend.warm_up()
        while True:
            try:
                version = await self.backend.version()
                models = await self.backend.list_models()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any fault means "offline"
                if not warned:
                    warned = True
                    await self.show_note(classify(exc, self.backend.host).message, "error")
                self._set_status(connection="offline")
                await asyncio.sleep(POLL_OFFLINE)
                continue
            if warned:
                warned = False
                await self.show_note(f"Connected to Ollama {version} at {self.backend.host}.", "info")
            self.server_version = version
            self.installed = {canonical_model(m.get("model") or m.get("name") or "") for m in models}
            if not self._set_status(connection="online", server_version=version):
                return  # the screen is gone: the app is closing
            await self.refresh_model_facts(version, models)
            await asyncio.sleep(POLL_ONLINE)

    def _set_status(self, **changes: Any) -> bool:
        """Update the status line; False when it no longer exists (the app is closing)."""
        try:
            self.status.set(**changes)
        except (NoMatches, ScreenStackError):
            return False
        return True

    async def on_unmount(self) -> None:
        try:
            await self.backend.close()
        except Exception:  # noqa: BLE001 - closing on exit
            pass
