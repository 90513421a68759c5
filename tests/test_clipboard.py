"""Clipboard: OSC 52 always, pyperclip only locally, honest messages; code fences."""

from __future__ import annotations

import base64

import pytest
from textual.app import App

from nemo_tui.core.clipboard import (
    CopyResult,
    copy_text,
    extract_code_blocks,
    is_ssh_session,
)

LOCAL_ENV = {"HOME": "/home/me", "TERM": "xterm-256color"}


class Recorder:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.error = error

    def __call__(self, text: str) -> None:
        self.calls.append(text)
        if self.error is not None:
            raise self.error


# -- SSH detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, False),
        (LOCAL_ENV, False),
        ({"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"}, True),
        ({"SSH_TTY": "/dev/pts/1"}, True),
        ({"SSH_CLIENT": "10.0.0.2 50000 22"}, True),
        ({"SSH_TTY": ""}, False),
        ({"SSH_AUTH_SOCK": "/tmp/agent"}, False),  # agent forwarding alone is not SSH
    ],
)
def test_is_ssh_session(env, expected):
    assert is_ssh_session(env) is expected


# -- path selection ---------------------------------------------------------------------


def test_local_session_uses_both():
    osc, local = Recorder(), Recorder()
    result = copy_text("hello", osc, env=LOCAL_ENV, local_copy=local)
    assert osc.calls == ["hello"]
    assert local.calls == ["hello"]
    assert isinstance(result, CopyResult)
    assert result.system and result.osc52 and not result.ssh
    assert result.message == "Copied to system clipboard (and sent via terminal OSC 52)"


@pytest.mark.parametrize("var", ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"])
def test_ssh_session_uses_only_osc52(var):
    osc, local = Recorder(), Recorder()
    result = copy_text("secret ✓", osc, env={var: "x"}, local_copy=local)
    assert osc.calls == ["secret ✓"]
    assert local.calls == []
    assert result.ssh and result.osc52 and not result.system
    assert result.message.startswith("Sent via terminal (OSC 52) — over SSH")
    assert "local clipboard if your terminal allows it" in result.message


def test_local_copy_failure_is_reported_not_raised():
    osc = Recorder()
    local = Recorder(error=RuntimeError("no xclip or xsel found"))
    result = copy_text("x", osc, env=LOCAL_ENV, local_copy=local)
    assert osc.calls == ["x"]
    assert local.calls == ["x"]
    assert not result.system
    assert result.error == "no xclip or xsel found"
    assert result.message == (
        "Sent via terminal (OSC 52); system clipboard unavailable: no xclip or xsel found"
    )


def test_pyperclip_without_backend_does_not_raise(monkeypatch):
    pyperclip = pytest.importorskip("pyperclip")

    def broken(text: str) -> None:
        raise pyperclip.PyperclipException("Pyperclip could not find a copy/paste mechanism")

    monkeypatch.setattr(pyperclip, "copy", broken)
    osc = Recorder()
    result = copy_text("x", osc, env=LOCAL_ENV)  # default path: real (patched) pyperclip
    assert osc.calls == ["x"]
    assert "system clipboard unavailable: Pyperclip could not find" in result.message


def test_pyperclip_used_by_default_when_local(monkeypatch):
    pyperclip = pytest.importorskip("pyperclip")
    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    result = copy_text("abc", Recorder(), env=LOCAL_ENV)
    assert copied == ["abc"]
    assert result.system


def test_exception_without_message_still_explains():
    result = copy_text("x", Recorder(), env=LOCAL_ENV, local_copy=Recorder(OSError()))
    assert result.message.endswith("unavailable: OSError")


# -- with a real Textual app ------------------------------------------------------------


async def test_textual_app_receives_text_and_writes_osc52():
    app = App()
    text = "print('héllo')\nsecond line"
    async with app.run_test() as pilot:
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        original_write = driver.write
        driver.write = lambda data: (written.append(data), original_write(data))  # type: ignore[method-assign]
        try:
            result = copy_text(text, app.copy_to_clipboard, env={"SSH_TTY": "/dev/pts/1"})
        finally:
            driver.write = original_write  # type: ignore[method-assign]
        await pilot.pause()
        assert app.clipboard == text
    assert result.ssh
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    assert f"\x1b]52;c;{encoded}\a" in written


# -- code blocks ------------------------------------------------------------------------


def test_no_blocks():
    assert extract_code_blocks("just text with `inline` code") == []
    assert extract_code_blocks("") == []


def test_backtick_and_tilde_blocks_with_and_without_language():
    md = (
        "Intro\n"
        "```python\n"
        "def f():\n"
        "    return 1\n"
        "```\n"
        "middle\n"
        "~~~\n"
        "plain\n"
        "~~~\n"
        "``` bash title=x\n"
        "echo hi\n"
        "```\n"
    )
    assert extract_code_blocks(md) == ["def f():\n    return 1", "plain", "echo hi"]


def test_nested_fences_close_only_on_same_char_and_length():
    md = (
        "````markdown\n"
        "Here is code:\n"
        "```python\n"
        "x = 1\n"
        "```\n"
        "````\n"
        "~~~\n"
        "```\n"
        "not closed by backticks\n"
        "~~~~\n"
    )
    assert extract_code_blocks(md) == [
        "Here is code:\n```python\nx = 1\n```",
        "```\nnot closed by backticks",
    ]


def test_closing_fence_must_be_bare_and_long_enough():
    md = "`````\n```` \n``` not a close\n`````   \nafter"
    assert extract_code_blocks(md) == ["```` \n``` not a close"]


def test_empty_block_and_unclosed_block():
    assert extract_code_blocks("```\n```\n") == [""]
    assert extract_code_blocks("text\n```js\nlet a = 1;\nstill streaming") == [
        "let a = 1;\nstill streaming"
    ]


def test_indented_fence_is_dedented_and_inline_triple_backticks_ignored():
    md = "  ```\n  a\n    b\n c\n  ```\n```inline``` text\n"
    assert extract_code_blocks(md) == ["a\n  b\nc"]


def test_four_space_indent_is_not_a_fence():
    assert extract_code_blocks("    ```\n    code\n    ```\n") == []


def test_blank_lines_inside_block_kept():
    assert extract_code_blocks("```\na\n\nb\n```") == ["a\n\nb"]
