"""Pilot tests of /attach, /detach, /attachments, the chips, and attachments in the chat.

Files are made under tmp_path and the app runs there (the `here` fixture), so /attach takes
the same relative paths a person would type. Big folders and overflow: test_app_attach_big.py.
"""

from __future__ import annotations

import errno
import os

from nemo_tui.core import attach_read
from nemo_tui.ui.widgets.attached_files import AttachedFileLine, MoreFilesLine
from nemo_tui.ui.widgets.attachments_bar import Chip
from nemo_tui.ui.widgets.chat_view import Note
from tests.attach_helpers import attach, chips, command, here, notes, ready, tekken, user_views  # noqa: F401
from tests.conftest import wait_for
from tests.test_attachments import text_pdf, write


# --- the headline path --------------------------------------------------------------------


async def test_attach_chip_exact_tokens_then_send(standin, make_app, here, tekken):
    write(here / "notes.md", "# Plan\n\nShip the attach feature.\n")
    write(here / "src" / "main.py", "def main():\n    return 'hello'\n")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await attach(pilot, "notes.md src/main.py")
        assert [a.path for a in app.pending_attachments] == ["notes.md", "src/main.py"]
        for att in app.pending_attachments:
            assert att.tokens == tekken.count_text(att.render()) and att.tokens > 10
        shown = chips(app)
        assert len(shown) == 2
        assert "1. notes.md" in shown[0] and f"{app.pending_attachments[0].tokens:,} tokens" in shown[0]
        assert "2. src/main.py" in shown[1]
        assert any("Attached notes.md src/main.py: 2 files" in n for n in notes(app, "info"))
        assert app.gauge.accounting.budget.attachments > 0
        assert app.prompt.text == ""

        app.prompt.load_text("What do these say?")
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
        assert app.pending_attachments == [] and chips(app) == []
        view = user_views(app)[-1]
        lines = list(view.query(AttachedFileLine))
        assert [str(line.render()) for line in lines][0].startswith("▸ 📎 notes.md · ")
        assert "src/main.py" in str(lines[1].render()) and "tokens" in str(lines[1].render())
        assert "Ship the attach feature" not in view.rendered_markdown  # compact, not the text
        lines[0].focus()
        await pilot.press("enter")  # opens the file's text under its line
        await pilot.pause(0.1)
        assert "Ship the attach feature." in str(lines[0].body.render())
        assert str(lines[0].render()).startswith("▾")
    content = standin.chat_requests[-1]["messages"][-1]["content"]
    assert '<file path="notes.md">\n# Plan\n\nShip the attach feature.\n</file>' in content
    assert "<file path=\"src/main.py\">\ndef main():\n    return 'hello'\n</file>" in content
    assert content.endswith("What do these say?")


async def test_detach_by_number_key_and_all(standin, make_app, here):
    for name in ("a.txt", "b.txt", "c.txt"):
        write(here / name, f"file {name}\n")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "a.txt b.txt c.txt")
        assert len(chips(app)) == 3
        await command(pilot, "/detach 2")
        await pilot.pause(0.1)
        assert [a.path for a in app.pending_attachments] == ["a.txt", "c.txt"]
        assert "2. c.txt" in chips(app)[1]

        await command(pilot, "/detach 7")
        await pilot.pause(0.1)
        assert app.prompt.text == "/detach 7"  # kept to fix
        assert len(app.pending_attachments) == 2

        app.query(Chip).first().focus()
        await pilot.press("delete")
        await pilot.pause(0.1)
        assert [a.path for a in app.pending_attachments] == ["c.txt"]
        assert isinstance(app.focused, Chip)  # focus moves to the chip that is left

        await pilot.press("x")
        await pilot.pause(0.1)
        assert app.pending_attachments == [] and chips(app) == []
        assert app.focused is app.prompt

        await attach(pilot, "a.txt b.txt")
        app.prompt.load_text("")
        await command(pilot, "/detach all")
        await pilot.pause(0.1)
        assert app.pending_attachments == []


# --- folders ------------------------------------------------------------------------------


async def test_folder_is_one_chip_with_skipped_summary(standin, make_app, here):
    proj = here / "proj"
    write(proj / ".gitignore", "*.log\nbuild/\n")
    for i in range(5):
        write(proj / "src" / f"m{i}.py", f"x = {i}\n")
    write(proj / "debug.log", "noise\n")
    write(proj / "build" / "out.txt", "built\n")
    write(proj / "logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    write(proj / ".env", "SECRET=1\n")
    write(proj / "node_modules" / "x.js", "x\n")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "proj")
        assert len(app.pending_attachments) == 5
        (chip,) = chips(app)
        assert "1. ▸ proj/ (5 files, " in chip and "tokens)" in chip
        note = notes(app)[-1]
        assert ("skipped 6 files: 2 hidden, 1 build folder, 1 ignored by .gitignore, 1 binary, "
                "1 node_modules") in note

        app.query(Chip).first().focus()
        await pilot.press("enter")  # open the group: one line per file under it
        await pilot.pause(0.1)
        assert len(chips(app)) == 6 and "proj/src/m0.py" in chips(app)[1]
        app.query(Chip)[2].focus()
        await pilot.press("backspace")  # remove one file from the group
        await pilot.pause(0.1)
        assert len(app.pending_attachments) == 4 and "proj/src/m1.py" not in chips(app)[2]

        await command(pilot, "/attachments")
        await pilot.pause(0.1)
        listing = notes(app)[-1]
        assert "Attached for the next message: 4 files" in listing
        assert "proj/logo.png — binary" in listing and "proj/.env — hidden" in listing
        assert "proj/debug.log — ignored by .gitignore" in listing


async def test_many_files_group_and_compact_message(standin, make_app, here):
    for i in range(40):
        write(here / "lots" / f"f{i:02}.txt", f"line {i}\n")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "lots/")
        assert len(app.pending_attachments) == 40 and len(chips(app)) == 1
        bar = app.query_one("#attachments")
        assert bar.outer_size.height <= 4  # summary + one chip, not 40 lines
        app.prompt.load_text("summarise")
        await pilot.press("enter")
        await wait_for(lambda: not app.session.running and app.conversation.messages[-1].role == "assistant", pilot)
        view = user_views(app)[-1]
        assert len(view.query(AttachedFileLine)) == 6
        more = view.query_one(MoreFilesLine)
        assert "and 34 more files" in str(more.render())
        more.focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert len(view.query(AttachedFileLine)) == 40
    assert standin.chat_requests[-1]["messages"][-1]["content"].count("<file path=") == 40


# --- bad input ----------------------------------------------------------------------------


async def test_bad_inputs_each_get_a_clear_note(standin, make_app, here, monkeypatch):
    write(here / "pic.png", b"\x89PNG\r\n\x1a\n" + bytes(100))
    write(here / "only_bin" / "a.png", b"\x89PNG\r\n\x1a\n" + bytes(10))
    write(here / "secret.txt", "classified\n")
    os.mkfifo(here / "pipe")
    os.symlink("loop_b", here / "loop_a")
    os.symlink("loop_a", here / "loop_b")
    with open(here / "huge.txt", "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: 2 GB on paper
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(here / "scan.pdf", "wb") as fh:
        writer.write(fh)
    real_open = os.open

    def deny(path, flags, *args):  # root ignores chmod, so EACCES is simulated
        if str(path).endswith("secret.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(attach_read.os, "open", deny)
    cases = [
        ("missing.txt", "missing.txt: no such file or folder"),
        ("secret.txt", "secret.txt: permission denied"),
        ("only_bin", "only_bin: no text files to attach (1 skipped: 1 binary)"),
        ("pic.png", "pic.png is a binary file; not attached"),
        ("pipe", "pipe is a named pipe (FIFO); not attached"),
        ("loop_a", "loop_a: symlink loop (links point at each other)"),
        ("huge.txt", "huge.txt is 2 GB, over the 20 MB limit"),
        ("scan.pdf", "scan.pdf has no text layer (scanned?); OCR it first"),
        ("'no such dir/**/*.py'", "no files match no such dir/**/*.py"),
    ]
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        app.prompt.remember("an earlier prompt")
        for arg, message in cases:
            await attach(pilot, arg)
            note = app.query(Note).last()
            assert note.has_class("error"), arg
            label = arg.strip("'")
            assert f"Nothing attached from {label}" in str(note.render())
            assert f"✗ {message}" in str(note.render()), str(note.render())
            assert app.prompt.text == f"/attach {arg}"  # given back to fix
            assert app.pending_attachments == []
        assert app.prompt.prompt_history[0] == "an earlier prompt"
        await command(pilot, '/attach "unclosed')
        await pilot.pause(0.1)
        assert app.prompt.text == '/attach "unclosed'
        await command(pilot, "/attach")
        await pilot.pause(0.1)
        assert app.prompt.text == "/attach"
        assert app.screen.is_current and app.is_running


async def test_odd_but_attachable_files(standin, make_app, here):
    write(here / "legacy.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    nasty = "[bold red]not markup[/] \x1b]52;c;SGVsbG8=\x07 \x1b[2J end\n"
    write(here / "nasty.txt", nasty)
    write(here / "doc.pdf", text_pdf(["First page text", "Second page text"]))
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "legacy.txt nasty.txt doc.pdf")
        legacy, bad, pdf = app.pending_attachments
        assert legacy.content == "café crème\n" and legacy.notice == "not valid UTF-8; decoded as cp1252"
        assert "⚠ not valid UTF-8; decoded as cp1252" in chips(app)[0]
        assert notes(app)[-1].count("⚠ legacy.txt: not valid UTF-8") == 1
        assert "--- page 2 ---\nSecond page text" in pdf.content and pdf.kind == "pdf"
        app.prompt.load_text("look")
        await pilot.press("enter")
        await wait_for(lambda: not app.session.running and app.conversation.messages[-1].role == "assistant", pilot)
        line = user_views(app)[-1].query(AttachedFileLine)[1]
        await pilot.click(line)
        await wait_for(lambda: line.body is not None, pilot)
        shown = str(line.body.render())
        assert "[bold red]not markup[/]" in shown and "␛]52;c;SGVsbG8=␇" in shown and "\x1b" not in shown
        assert "\x1b" not in app.export_screenshot()
    sent = standin.chat_requests[-1]["messages"][-1]["content"]
    assert nasty in sent  # the model gets the file as it is
    assert "café crème" in sent and "--- page 1 ---\nFirst page text" in sent


# --- Tab, --attach, a failed send --------------------------------------------------------


async def test_tab_completes_paths_after_attach(standin, make_app, here):
    write(here / "alpha_one.txt")
    write(here / "alpha_two.txt")
    write(here / "beta dir" / "inner.txt", "inside\n")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        app.prompt.load_text("/attach be")
        app.prompt.move_cursor(app.prompt.document.end)
        await pilot.press("tab")
        assert app.prompt.text == "/attach 'beta dir/'"
        await pilot.press("tab")
        assert app.prompt.text == "/attach 'beta dir/inner.txt' "
        await pilot.press(*"al", "tab")
        assert app.prompt.text == "/attach 'beta dir/inner.txt' alpha_"
        shown = [n.message for n in app._notifications]
        assert any("alpha_one.txt  alpha_two.txt" in m for m in shown)
        await pilot.press("t", "tab", "enter")
        await wait_for(lambda: len(app.pending_attachments) == 2, pilot, timeout=10)
        assert [a.path for a in app.pending_attachments] == ["beta dir/inner.txt", "alpha_two.txt"]
        assert app.focused is app.prompt


async def test_attach_option_at_start(standin, make_settings, here):
    from nemo_tui.cli import app_parser
    from nemo_tui.ui.factory import build_app

    write(here / "readme.md", "# Read me\n")
    write(here / "docs" / "a.md", "a\n")
    ns = app_parser().parse_args(["--attach", "readme.md", "--attach", "docs"])
    assert ns.attach == ["readme.md", "docs"]
    app = build_app(make_settings(standin.url), attach=ns.attach)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: len(app.pending_attachments) == 2, pilot, timeout=10)
        assert [a.path for a in app.pending_attachments] == ["readme.md", "docs/a.md"]
        assert len(chips(app)) == 2


async def test_failed_send_gives_the_files_back(standin, make_app, here):
    write(here / "a.txt", "alpha\n")
    standin.fail_next("status", status=500, message="boom")
    app = make_app(standin.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "a.txt")
        app.prompt.load_text("about a")
        await pilot.press("enter")
        await wait_for(lambda: not app.session.running and app.prompt.text == "about a", pilot)
        await pilot.pause(0.1)
        assert [a.path for a in app.pending_attachments] == ["a.txt"]
        assert "1. a.txt" in chips(app)[0]
        await pilot.press("enter")
        await wait_for(lambda: app.conversation.messages and app.conversation.messages[-1].status == "complete", pilot)
        assert chips(app) == []
    assert "<file path=\"a.txt\">\nalpha\n</file>" in standin.chat_requests[-1]["messages"][-1]["content"]
