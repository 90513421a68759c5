"""`nemo-tui export ID [--format md|json] [-o PATH]` and `--list`, against a real history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_tui.cli_export import main
from nemo_tui.core.conversation import Conversation, Message
from nemo_tui.core.store import HistoryStore

ROOT = Path(__file__).resolve().parents[1]
REPLY = "A reply with [markup] and an \x1b]52;c;SGk=\x07 escape."


@pytest.fixture
def history(tmp_path, monkeypatch):
    """A data folder with two chats; NEMO_TUI_DATA_DIR points at it."""
    data = tmp_path / "data"
    data.mkdir()
    with HistoryStore.open(data / "history.db") as store:
        first = Conversation(title="First chat", model="mistral-nemo")
        store.create_chat(first)
        store.add_message(first.id, Message("user", "hello first"))
        second = Conversation(title="Second: KV cache?", model="mistral:7b")
        store.create_chat(second)
        store.add_message(second.id, Message("user", "what is a KV cache?"))
        store.add_message(second.id, Message("assistant", REPLY, model="mistral:7b",
                                             stats={"eval_count": 9}))
    monkeypatch.setenv("NEMO_TUI_DATA_DIR", str(data))
    monkeypatch.setenv("NEMO_TUI_CONFIG", str(tmp_path / "none.toml"))
    return data, first.id, second.id


def test_markdown_to_stdout(history, capsys):
    _, _, chat = history
    assert main([str(chat)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Second: KV cache?\n")
    assert "what is a KV cache?" in out and REPLY in out  # exact text when not a terminal


def test_json_to_stdout_and_to_a_file(history, capsys, tmp_path, monkeypatch):
    _, _, chat = history
    assert main([str(chat), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["chat"]["id"] == chat
    assert [m["content"] for m in doc["chat"]["messages"]] == ["what is a KV cache?", REPLY]

    target = tmp_path / "out.json"
    assert main([str(chat), "-f", "json", "-o", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and str(target) in captured.err
    assert json.loads(target.read_text()) == doc

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main([str(chat), "-o", "exports"]) == 0
    assert (folder / f"second-kv-cache-{chat}.md").read_text().startswith("# Second: KV cache?")


def test_unknown_id_missing_history_and_bad_format(history, capsys, tmp_path):
    data, _, _ = history
    assert main(["999"]) == 1
    err = capsys.readouterr().err
    assert "no chat with id 999" in err and "--list" in err

    assert main(["1", "--format", "pdf"]) == 1
    assert "Unknown export format 'pdf'" in capsys.readouterr().err

    assert main(["1", "-o", str(tmp_path / "no" / "such" / "dir" / "x.md")]) == 1
    assert "does not exist" in capsys.readouterr().err

    empty = tmp_path / "empty"
    assert main(["1", "--data-dir", str(empty)]) == 1  # --data-dir beats the environment
    assert "no chat history at" in capsys.readouterr().err
    assert not empty.exists()  # reported, not created

    assert main([]) == 1
    assert "give the ID" in capsys.readouterr().err


def test_list(history, capsys):
    _, first, second = history
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == str(second) and "Second: KV cache?" in lines[0]
    assert lines[1].split()[0] == str(first) and "1 msgs" in lines[1]


def test_real_command_line(history, tmp_path):
    data, _, chat = history
    env = {**os.environ, "NEMO_TUI_DATA_DIR": str(tmp_path / "elsewhere")}
    run = subprocess.run(
        [sys.executable, "-m", "nemo_tui", "export", str(chat), "--data-dir", str(data)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "# Second: KV cache?" in run.stdout and REPLY in run.stdout
    run = subprocess.run([sys.executable, "-m", "nemo_tui", "export", "424242"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={**os.environ, "NEMO_TUI_DATA_DIR": str(data)})
    assert run.returncode == 1 and run.stdout == ""
    assert "no chat with id 424242" in run.stderr


def test_a_terminal_gets_escapes_as_visible_symbols(history):
    import pty

    data, _, chat = history
    leader, follower = pty.openpty()
    try:
        run = subprocess.run([sys.executable, "-m", "nemo_tui", "export", str(chat)],
                             stdout=follower, stderr=subprocess.PIPE, cwd=ROOT, timeout=60,
                             env={**os.environ, "NEMO_TUI_DATA_DIR": str(data)})
        os.close(follower)
        follower = -1
        out = b""
        while True:
            try:
                block = os.read(leader, 65536)
            except OSError:
                break
            if not block:
                break
            out += block
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert run.returncode == 0
    text = out.decode()
    assert "\x1b]52" not in text and "␛]52;c;SGk=␇" in text
