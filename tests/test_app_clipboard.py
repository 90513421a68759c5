"""Pilot tests: /copy, /copy code N, Ctrl+O and keys on a focused message put the model's exact
text on the clipboard and say honestly where it went (locally, over SSH, without a clipboard)."""

from __future__ import annotations

import pytest

from nemo_tui.core import clipboard
from nemo_tui.ui.widgets.message import MessageView
from tests.conftest import wait_for

REPLY = """\
Here is **the** plan [bold]not markup[/bold]:

```python
def one():
    return 1
```

Then:

~~~sh
echo "two"   # keeps   spacing
~~~

Done.\
"""
CODE_1 = "def one():\n    return 1"
CODE_2 = 'echo "two"   # keeps   spacing'
SSH_VARIABLES = ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT")


@pytest.fixture(autouse=True)
def no_real_clipboard(monkeypatch):
    """Whatever happens, the system clipboard of the machine running the tests is not used."""
    def refuse(text: str) -> None:
        raise AssertionError("a test reached the real system clipboard")

    monkeypatch.setattr(clipboard, "_pyperclip_copy", refuse)
    for name in SSH_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class FakeClipboard:
    def __init__(self, fail: str | None = None) -> None:
        self.texts: list[str] = []
        self.fail = fail

    def __call__(self, text: str) -> None:
        if self.fail:
            raise RuntimeError(self.fail)
        self.texts.append(text)


def toasts(app) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


async def run(app, pilot, command: str) -> None:
    await app.run_command_text(command)
    await pilot.pause(0.05)  # notifications arrive as messages


async def chat_once(app, pilot, standin, reply: str = REPLY) -> None:
    standin.reply_text = reply
    app.prompt.load_text("show me")
    await pilot.press("enter")
    await wait_for(lambda: not app.session.running and len(app.conversation.messages) == 2
                   and app.conversation.messages[-1].status == "complete", pilot)
    await pilot.pause(0.1)


async def test_copy_puts_the_exact_markdown_on_the_clipboard(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = local = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        await run(app, pilot, "/copy")
        assert app.clipboard == REPLY  # the model's text, not the display
        assert local.texts == [REPLY]
        message, severity = toasts(app)[-1]
        assert message.startswith("Copied the last reply (14 lines)")
        assert clipboard.MESSAGE_BOTH in message and severity == "information"


async def test_copy_code_n_and_default_last(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = local = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        await run(app, pilot, "/copy code 2")
        assert app.clipboard == CODE_2
        assert "Copied code block 2 of 2" in toasts(app)[-1][0]
        await run(app, pilot, "/copy code 1")
        assert app.clipboard == CODE_1
        await run(app, pilot, "/copy code")
        assert app.clipboard == CODE_2
        assert local.texts == [CODE_2, CODE_1, CODE_2]


@pytest.mark.parametrize(
    "command, error",
    [
        ("/copy code 3", "The last reply has 2 code blocks; use /copy code 1…2."),
        ("/copy code 0", "The last reply has 2 code blocks; use /copy code 1…2."),
        ("/copy code two", "/copy code N: N is a number from 1 to 2, not 'two'."),
        ("/copy everything", "Usage: /copy (the last reply) or /copy code [N]"),
    ],
)
async def test_copy_bad_arguments_are_clear_errors(standin, make_app, command, error):
    app = make_app(standin.url)
    app.clipboard_local_copy = local = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        app.prompt.load_text(command)
        await pilot.press("enter")
        await pilot.pause(0.1)
        message, severity = toasts(app)[-1]
        assert message.startswith(error) and severity == "error"
        assert app.clipboard == "" and local.texts == []
        assert app.prompt.text == command  # kept to fix


async def test_copy_without_reply_or_code(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: app.screen_stack[0].query_one("#status").state.connection == "online", pilot)
        await run(app, pilot, "/copy")
        assert toasts(app)[-1] == ("Nothing to copy yet: there is no reply in this chat.", "error")
        await chat_once(app, pilot, standin, reply="No code here.")
        await run(app, pilot, "/copy code")
        assert toasts(app)[-1][0] == "The last reply has no code blocks; /copy copies all of it."
        assert app.clipboard == ""


@pytest.mark.parametrize("variable", SSH_VARIABLES)
async def test_over_ssh_only_osc52_and_the_message_says_so(standin, make_app, monkeypatch, variable):
    monkeypatch.setenv(variable, "10.0.0.2 50000 10.0.0.1 22")
    app = make_app(standin.url)
    app.clipboard_local_copy = local = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        await run(app, pilot, "/copy code 1")
        assert app.clipboard == CODE_1
        assert local.texts == []  # the remote machine's clipboard is no use
        message, severity = toasts(app)[-1]
        assert clipboard.MESSAGE_SSH in message and "system clipboard" not in message


async def test_no_system_clipboard_is_reported_as_a_warning(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = FakeClipboard(fail="no xclip or xsel found")
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        await pilot.press("ctrl+o")
        await pilot.pause(0.1)
        assert app.clipboard == REPLY  # OSC 52 still went out
        message, severity = toasts(app)[-1]
        assert "system clipboard unavailable: no xclip or xsel found" in message
        assert severity == "warning"


async def test_keys_on_a_focused_message(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = local = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin)
        user_view, reply_view = list(app.query(MessageView))
        await pilot.press("ctrl+up")  # from the prompt: the last message
        assert app.focused is reply_view
        await pilot.press("c")
        assert app.clipboard == REPLY
        await pilot.press("b")
        assert app.clipboard == CODE_2
        await pilot.press("up")
        assert app.focused is user_view
        await pilot.press("c")
        assert app.clipboard == "show me"
        await pilot.press("down")
        assert app.focused is reply_view
        await pilot.press("escape")
        assert app.focused is app.prompt
        assert local.texts == [REPLY, CODE_2, "show me"]
        assert app.prompt.text == ""  # the keys did not leak into the prompt


async def test_click_focuses_a_message(standin, make_app):
    app = make_app(standin.url)
    app.clipboard_local_copy = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin, reply="Short reply.")
        user_view = list(app.query(MessageView))[0]
        await pilot.click(user_view, offset=(4, 1))
        await pilot.pause(0.05)
        assert app.focused is user_view
        await pilot.press("c")
        assert app.clipboard == "show me"


async def test_copy_is_the_message_text_not_the_sanitized_display(standin, make_app):
    raw = "Line one\r\nA bell \x07 and [red]markup[/red]\r\n"
    app = make_app(standin.url)
    app.clipboard_local_copy = FakeClipboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_once(app, pilot, standin, reply=raw)
        assert "␇" in list(app.query(MessageView))[-1].source  # what is shown is made safe
        await run(app, pilot, "/copy")
        assert app.clipboard == raw
