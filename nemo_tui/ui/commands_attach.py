"""/attach, /detach and /attachments (mixed into NemoApp), and the chips above the prompt.

`/attach PATH...` runs `core.attachments.collect` and the exact token count of every file in
a thread worker, with a progress row that Esc or its Cancel button stops; the files then
wait in `pending_attachments` (shown as chips) and go with the next message. Every problem
collect reports is shown as a note; the prompt and its history are never touched by one.
Right after attaching, a request that would not fit num_ctx gets a question: raise num_ctx
(with the KV cache memory that costs), drop the files, or keep them.

`pending_attachments` is a property here so that every assignment to it (the app's send,
a failed send giving the files back) redraws the chips. Large attachments move the gauge's
counting to a thread too (see commands_attach_gauge.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual import work

from nemo_tui.core.attach_read import human_size
from nemo_tui.core.attachments import AttachLimits, AttachResult, collect, complete_path
from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.conversation import Attachment
from nemo_tui.core.sanitize import safe_display
from nemo_tui.ui.attach_state import (
    AttachBatch,
    AttachBook,
    AttachJob,
    ChipRow,
    batch_label,
    complete_arg,
    describe_files,
    skip_lines,
    split_args,
    tokens_text,
    total_tokens,
)
from nemo_tui.ui.commands_attach_gauge import AttachGauge
from nemo_tui.ui.widgets.attachments_bar import AttachmentsBar, AttachProgress, Chip
from nemo_tui.ui.widgets.prompt import PromptInput

PROGRESS_EVERY = 0.1  # seconds between progress redraws
MAX_CANDIDATES_SHOWN = 12
LISTED_PER_GROUP = 20
LISTED_SKIPS = 30
USAGE = "/attach needs a path: a file, a folder, or a glob like 'src/**/*.py' (quote paths with spaces)"


class AttachCommands(AttachGauge):
    SLASH_COMMANDS = (
        Command("attach", "attach files, folders or globs to the next message; shows their tokens",
                args="PATH..."),
        Command("detach", "remove attached files: /detach 2, /detach 1 3, /detach all", args="N|all"),
        Command("attachments", "list the attached files and what the last /attach skipped"),
    )
    startup_attach: tuple[str, ...] = ()  # `nemo-tui --attach PATH`, set by the factory

    # -- state -------------------------------------------------------------------------------
    @property
    def attach_book(self) -> AttachBook:
        book = self.__dict__.get("_attach_book")
        if book is None:
            book = self._attach_book = AttachBook()
        return book

    @property
    def pending_attachments(self) -> list[Attachment]:
        return self.__dict__.setdefault("_pending_attachments", [])

    @pending_attachments.setter
    def pending_attachments(self, value: list[Attachment]) -> None:
        self._pending_attachments = list(value)
        self.sync_attachments_bar()

    def _attachments_bar(self) -> AttachmentsBar | None:
        try:  # the chat screen's, even while a dialog is on top
            screen = self.screen_stack[0] if self.screen_stack else self.screen
            return screen.query_one("#attachments", AttachmentsBar)
        except Exception:  # noqa: BLE001 - not composed yet, or shutting down
            return None

    def sync_attachments_bar(self) -> None:
        bar = self._attachments_bar()
        if bar is None:
            return
        book = self.attach_book
        book.prune()
        pending = self.pending_attachments
        rows = book.rows(pending)
        bar.show_chips(rows, self._counts_exact(), self._pending_summary(pending))

    def _counts_exact(self) -> bool:
        """Whether the last count was exact (Tekken/SentencePiece) or an estimate (≈)."""
        return self.attach_book.exact

    def _pending_summary(self, pending: list[Attachment]) -> str:
        if not pending:
            return ""
        what = describe_files(len(pending), sum(a.size for a in pending), total_tokens(pending),
                              self._counts_exact())
        return f"{what} go with your next message · Shift+Tab selects · Del removes · /attachments"

    # -- /attach -------------------------------------------------------------------------------
    async def cmd_attach(self, args: str) -> None:
        try:
            paths = split_args(args)
        except ValueError:
            raise CommandError("/attach: a quote is not closed; put paths with spaces in quotes") from None
        if not paths:
            raise CommandError(USAGE)
        self.start_attach(paths, command=f"/attach {args}")

    def start_attach(self, paths: list[str], cwd: Path | None = None, command: str = "") -> AttachJob:
        """Read `paths` in a thread; `command` comes back to the prompt if nothing attaches."""
        book = self.attach_book
        if book.job is not None:
            raise CommandError("An /attach is still running; Esc or its Cancel button stops it.")
        cwd = cwd or Path.cwd()
        job = AttachJob(paths, cwd, self._attach_limits(), batch_label(paths, cwd))
        job.command = command
        book.job = job
        book.timer = self.set_interval(PROGRESS_EVERY, self._show_attach_progress)
        self._show_attach_progress()
        self._attach_worker(job, list(self.pending_attachments))
        return job

    def _attach_limits(self) -> AttachLimits:
        return AttachLimits(
            max_bytes_per_attach=int(self.settings.attach_max_mb * 1024 * 1024),
            max_files=self.settings.attach_max_files,
        )

    def cancel_attach(self) -> bool:
        job = self.attach_book.job
        if job is None:
            return False
        job.cancel.set()
        return True

    def on_attach_progress_cancel_requested(self, event: AttachProgress.CancelRequested) -> None:
        self.cancel_attach()

    def _show_attach_progress(self) -> None:
        bar = self._attachments_bar()
        if bar is not None:
            bar.show_progress(self.attach_book.job)

    @work(thread=True, group="attach", exit_on_error=False)
    def _attach_worker(self, job: AttachJob, pending: list[Attachment]) -> None:
        """Read, count, and see whether it fits; all off the UI thread."""
        accounting = None
        try:
            job.model = self.gauge_model()  # routing may count the request: not on the UI thread
            result = collect(job.paths, job.cwd, job.limits, job.progress, job.cancelled)
            known = {(a.path, a.sha256) for a in pending}
            fresh = [a for a in result.attachments if (a.path, a.sha256) not in known]
            if not result.cancelled and fresh:
                self._count_tokens(job, result, fresh)
            if not result.cancelled and fresh:
                accounting = self.accounting_with(pending + fresh)
        except Exception as exc:  # noqa: BLE001 - the worker must always report back
            result = AttachResult(errors=[f"attach failed: {exc}"])
        job.phase = "done"
        self.call_from_thread_safely(self._attach_done, job, result, accounting)

    def _count_tokens(self, job: AttachJob, result: AttachResult, fresh: list[Attachment]) -> None:
        counter = self.accountant.counter(job.model)
        try:
            counter.load()  # waits for the app's own loader if it is already loading
        except Exception as exc:  # noqa: BLE001 - attach without counts rather than not at all
            result.errors.append(f"token counts unavailable: could not load the {counter.spec.label} "
                                 f"tokenizer ({exc})")
            return
        job.exact = counter.exact
        job.phase, job.done, job.total = "counting", 0, len(fresh)
        for att in fresh:
            if job.cancelled():
                result.cancelled = True
                return
            att.tokens = self.accountant.count_text(job.model, att.render())
            job.done += 1

    async def _attach_done(self, job: AttachJob, result: AttachResult, accounting: Any) -> None:
        book = self.attach_book
        book.job = None
        if book.timer is not None:
            book.timer.stop()
            book.timer = None
        self._show_attach_progress()
        if result.cancelled:
            read = f" ({job.done:,} of {job.total:,} files had been read)" if job.total else ""
            await self.show_note(f"/attach {job.label} cancelled: nothing attached{read}.", "warning")
            return
        known = {(a.path, a.sha256) for a in self.pending_attachments}
        fresh = [a for a in result.attachments if (a.path, a.sha256) not in known]
        again = [a.path for a in result.attachments if (a.path, a.sha256) in known]
        result.attachments = []  # the book keeps skips and errors, not megabytes of text
        batch = AttachBatch(job.label, result)
        book.last, book.exact = batch, job.exact
        if fresh:
            book.add(batch, fresh)
            self.pending_attachments = self.pending_attachments + fresh
        await self._report(batch, fresh, again)
        if not fresh and job.command and not self.prompt.text.strip():
            self.prompt.load_text(job.command)  # give the command back to fix the path
            self.prompt.move_cursor(self.prompt.document.end)
        self.refresh_gauge()
        if fresh and accounting is not None and accounting.budget is not None and not accounting.budget.fits:
            await self.attach_overflow(batch.label, fresh, accounting)

    async def _report(self, batch: AttachBatch, files: list[Attachment], again: list[str]) -> None:
        result, exact = batch.result, self._counts_exact()
        lines: list[str] = []
        if files:
            what = describe_files(len(files), sum(a.size for a in files), total_tokens(files), exact)
            lines.append(f"Attached {batch.label}: {what}. They go with your next message.")
        else:
            lines.append(f"Nothing attached from {batch.label}.")
        lines += [f"  {line} (/attachments lists them)" for line in skip_lines(result)]
        if again:
            lines.append(f"  already attached: {', '.join(again[:5])}{' …' if len(again) > 5 else ''}")
        noticed = [a for a in files if a.notice]
        lines += [f"  ⚠ {a.path}: {a.notice}" for a in noticed[:10]]
        lines += [f"  ✗ {error}" for error in result.errors]
        kind = "error" if not files else "warning" if result.errors or noticed else "info"
        await self.show_note("\n".join(lines), kind)

    # -- removing ------------------------------------------------------------------------------
    def detach(self, doomed: list[Attachment]) -> None:
        gone = {id(a) for a in doomed}
        self.pending_attachments = [a for a in self.pending_attachments if id(a) not in gone]
        self.refresh_gauge()

    def _rows(self) -> list[ChipRow]:
        return [r for r in self.attach_book.rows(self.pending_attachments) if not r.depth]

    async def cmd_detach(self, args: str) -> None:
        if not self.pending_attachments:
            raise CommandError("Nothing is attached; /attach PATH adds files.")
        if args.strip().lower() == "all":
            count = len(self.pending_attachments)
            self.detach(list(self.pending_attachments))
            self.notify(f"Removed all {count:,} attached files.")
            return
        try:
            words = split_args(args)
        except ValueError:
            raise CommandError("/detach: a quote is not closed") from None
        if not words:
            raise CommandError("/detach N removes the Nth chip above the prompt; /detach all removes all.")
        rows, doomed, names = self._rows(), [], []
        for word in words:
            if word.isdigit():
                n = int(word)
                if not 1 <= n <= len(rows):
                    raise CommandError(f"/detach {n}: there {'is' if len(rows) == 1 else 'are'} "
                                       f"{len(rows)} attached (numbered above the prompt); /detach all removes all")
                doomed += rows[n - 1].members
                names.append(rows[n - 1].label)
            else:
                match = [a for a in self.pending_attachments if a.path == word]
                if not match:
                    raise CommandError("/detach: no attached file has that path; /attachments lists them")
                doomed += match
                names.append(word)
        self.detach(doomed)
        self.notify(safe_display(f"Removed {', '.join(names)}."), markup=False)

    def on_chip_remove(self, event: Chip.Remove) -> None:
        for row in self.attach_book.rows(self.pending_attachments):
            if row.key == event.key:
                self.detach(list(row.members))
                return

    def on_chip_back_to_prompt(self, event: Chip.BackToPrompt) -> None:
        prompt = self.prompt
        prompt.focus()
        if event.text:
            prompt.insert(event.text)

    def on_chip_toggle(self, event: Chip.Toggle) -> None:
        for row in self.attach_book.rows(self.pending_attachments):
            if row.key == event.key and row.group is not None:
                row.group.expanded = not row.group.expanded
                self.sync_attachments_bar()
                return

    # -- /attachments --------------------------------------------------------------------------
    async def cmd_attachments(self, args: str) -> None:
        await self.show_note(self.attachments_listing())

    def attachments_listing(self) -> str:
        pending, exact = self.pending_attachments, self._counts_exact()
        if pending:
            what = describe_files(len(pending), sum(a.size for a in pending), total_tokens(pending), exact)
            lines = [f"Attached for the next message: {what}"]
        else:
            lines = ["Nothing attached. /attach PATH... adds files, folders or globs."]
        for number, row in enumerate(self._rows(), start=1):
            if row.group is None:
                lines.append(f"  {number}. {chip_line(row.members[0], exact)}")
                continue
            lines.append(f"  {number}. {row.label} ({describe_files(row.files, row.size, row.tokens, exact)})")
            lines += [f"       {chip_line(a, exact)}" for a in row.members[:LISTED_PER_GROUP]]
            if row.files > LISTED_PER_GROUP:
                lines.append(f"       … {row.files - LISTED_PER_GROUP:,} more")
        last = self.attach_book.last
        if last is not None and (last.result.skipped or last.result.errors):
            lines.append(f"Last /attach ({last.label}):")
            lines += [f"  {line}" for line in skip_lines(last.result)]
            skipped = last.result.skipped
            lines += [f"    {s.path} — {s.reason}" for s in skipped[:LISTED_SKIPS]]
            if len(skipped) > LISTED_SKIPS:
                lines.append(f"    … {len(skipped) - LISTED_SKIPS:,} more")
            lines += [f"  ✗ {error}" for error in last.result.errors]
        if pending:
            lines.append("/detach N removes one; /detach all removes everything.")
        return "\n".join(lines)

    # -- Tab after "/attach " ------------------------------------------------------------------
    def on_prompt_input_complete_requested(self, event: PromptInput.CompleteRequested) -> None:
        text = event.text
        if not text.startswith("/attach "):
            return  # command names are completed elsewhere
        cwd = Path.cwd()
        completion = complete_arg(text, lambda partial: complete_path(partial, cwd))
        if completion is None:
            self.bell()
            self.notify("No file or folder matches.", timeout=3)
            return
        if completion.text != text:
            prompt = self.prompt
            prompt.load_text(completion.text)
            prompt.move_cursor(prompt.document.end)
        if len(completion.candidates) > 1:
            folder = len(os.path.commonprefix(completion.candidates).rpartition("/")[0])
            shown = [c[folder + 1 if folder else 0:] for c in completion.candidates[:MAX_CANDIDATES_SHOWN]]
            more = len(completion.candidates) - len(shown)
            listing = "  ".join(shown) + (f"  … {more} more" if more else "")
            self.notify(safe_display(listing), title="Tab: matching paths", markup=False, timeout=6)

    # -- at start ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.startup_attach:
            self.start_attach(list(self.startup_attach))

    def call_from_thread_safely(self, callback, *args: Any) -> None:  # noqa: ANN001
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app is closing


def chip_line(att: Attachment, exact: bool) -> str:
    line = f"{att.path} · {human_size(att.size)} · {tokens_text(att.tokens, exact)}"
    return line + (f" · ⚠ {att.notice}" if att.notice else "")
