"""Benchmark the history store: loading a long chat and the per-update cost while streaming.

    python bench/bench_store.py

Prints the median of 5 runs of ``load_chat`` on a 1,000-message chat (~500 chars each),
and the median cost of one ``update_message`` (what the app calls ~1x/s while a reply
streams) next to a plain no-op ``UPDATE`` on the same connection as a baseline, with and
without the full-text index. Also times ``open`` and ``open_or_recover`` (quick_check).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nemo_tui.core.conversation import Conversation, Message  # noqa: E402
from nemo_tui.core.store import HistoryStore  # noqa: E402

N_MESSAGES = 1000
UPDATES = 300


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def build(db: Path, fts: bool) -> tuple[HistoryStore, int]:
    store = HistoryStore.open(db, fts=fts)
    conv = Conversation(title="bench")
    store.create_chat(conv)
    assert conv.id is not None
    text = ("The quick brown fox jumps over the lazy dog. " * 12)[:500]
    for i in range(N_MESSAGES):
        role = "user" if i % 2 == 0 else "assistant"
        store.add_message(conv.id, Message(role, f"{i} {text}", stats={"eval_count": i}))
    return store, conv.id


def bench_updates(store: HistoryStore, chat_id: int) -> tuple[float, float]:
    reply = Message("assistant", "", status="streaming")
    store.add_message(chat_id, reply)
    piece = "streamed tokens arrive a few at a time; "  # ~40 chars: about 1 s of output

    def one_update() -> None:
        reply.content += piece
        store.update_message(reply)

    per_call = timed(one_update, UPDATES)  # the reply grows to ~12 KB
    conn = store._conn
    baseline = timed(lambda: conn.execute("UPDATE messages SET id = id WHERE id = ?",
                                          (reply.id,)), UPDATES)  # autocommit: its own commit
    return statistics.median(per_call), statistics.median(baseline)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for fts in (True, False):
            db = Path(tmp) / f"bench-{'fts' if fts else 'like'}.db"
            store, chat_id = build(db, fts)
            label = "FTS5 index" if store.fts_enabled else "no FTS index"
            print(f"--- {label} ({N_MESSAGES} messages, {db.stat().st_size / 1e6:.1f} MB) ---")
            load = timed(lambda: store.load_chat(chat_id), 5)
            print(f"load_chat ({N_MESSAGES} messages), median of 5: {ms(statistics.median(load))}")
            upd, base = bench_updates(store, chat_id)
            print(f"update_message, median of {UPDATES}: {ms(upd)} per call"
                  f"  (no-op UPDATE baseline: {ms(base)}, ratio {upd / base:.1f}x)")
            hits = timed(lambda: store.search("lazy dog"), 5)
            print(f"search('lazy dog'), median of 5: {ms(statistics.median(hits))}")
            store.close()
            t_open = timed(lambda: HistoryStore.open(db, fts=fts).close(), 5)
            t_rec = timed(lambda: HistoryStore.open_or_recover(db, fts=fts)[0].close(), 5)
            print(f"open: {ms(statistics.median(t_open))}, open_or_recover (with quick_check):"
                  f" {ms(statistics.median(t_rec))}")


if __name__ == "__main__":
    main()
