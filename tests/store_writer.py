"""Subprocess helper for tests/test_store.py: writes to a history database like the app does.

    store_writer.py stream DB [INTERVAL]
        Create a chat, add a user message, add an assistant reply with status 'streaming'
        and grow it by one chunk per ``update_message`` every INTERVAL seconds (default
        0.2), forever. Prints "ready <chat_id>" once the reply exists, then "chunks <n>"
        after each committed update. The test kills it with SIGKILL.

    store_writer.py bulk DB TAG N SHARED_CHAT_ID M [GO_FILE]
        Create its own chat and add N messages to it and M messages to the shared chat
        (interleaved, each committed on its own). SHARED_CHAT_ID 0 means none. With
        GO_FILE, print "ready" and wait for that file to exist before writing, so that
        several writers start together. Prints "done <chat_id>".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nemo_tui.core.conversation import Conversation, Message  # noqa: E402
from nemo_tui.core.store import HistoryStore  # noqa: E402

USER_PROMPT = "Tell me a long story about a lighthouse keeper"


def chunk(i: int) -> str:
    return f"chunk {i:04d} of the story, " + "la " * 10 + "\n"


def stream_text(n: int) -> str:
    return "".join(chunk(i) for i in range(n))


def stream(db: str, interval: float) -> None:
    store = HistoryStore.open(db)
    conv = Conversation(model="mistral-nemo")
    store.create_chat(conv)
    assert conv.id is not None
    store.add_message(conv.id, Message("user", USER_PROMPT))
    reply = Message("assistant", "", model="mistral-nemo", status="streaming")
    store.add_message(conv.id, reply)
    print(f"ready {conv.id}", flush=True)
    n = 0
    while True:
        time.sleep(interval)
        reply.content += chunk(n)
        n += 1
        store.update_message(reply)
        print(f"chunks {n}", flush=True)


def bulk(db: str, tag: str, n: int, shared: int, m: int, go: str | None) -> None:
    store = HistoryStore.open(db)
    conv = Conversation(title=f"{tag} own")
    store.create_chat(conv)
    assert conv.id is not None
    if go:
        print("ready", flush=True)
        while not Path(go).exists():
            time.sleep(0.001)
    every = max(1, n // m) if m else 0
    sent = 0
    for i in range(n):
        store.add_message(conv.id, Message("user", f"{tag} own {i}"))
        if every and i % every == 0 and sent < m:
            store.add_message(shared, Message("user", f"{tag} shared {sent}"))
            sent += 1
    while sent < m:
        store.add_message(shared, Message("user", f"{tag} shared {sent}"))
        sent += 1
    store.close()
    print(f"done {conv.id}", flush=True)


if __name__ == "__main__":
    mode, db, *rest = sys.argv[1:]
    if mode == "stream":
        stream(db, float(rest[0]) if rest else 0.2)
    elif mode == "bulk":
        bulk(db, rest[0], int(rest[1]), int(rest[2]), int(rest[3]), (rest[4:] or [None])[0])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
