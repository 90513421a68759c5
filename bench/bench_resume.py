"""Benchmark resuming a long chat: app start to a usable screen.

    python bench/bench_resume.py

"Usable": the prompt has the focus and the chat's last message is on screen. Times the real
app (Textual's headless driver, 120x40, the Ollama stand-in) from `build_app` to that
moment, median of 5, for a 1,000-message chat (~400 characters each, mixed Markdown:
paragraphs, lists, code) resumed with `resume="last"`, and for an empty chat as the baseline,
in the same process. Also: the time until the rest of the first page (30 messages) is
mounted in the background, and one "load more" page of 30.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from pathlib import Path

from _common import fmt_runs, median

from nemo_tui.core.conversation import Conversation, Message
from nemo_tui.core.store import HistoryStore
from nemo_tui.settings import Settings
from nemo_tui.ui.factory import build_app
from nemo_tui.ui.history_view import PAGE
from nemo_tui.ui.widgets.message import MessageView
from tests.standin import OllamaStandin

RUNS = 5
N_MESSAGES = 1000
SIZE = (120, 40)
PIECES = [
    "Here is a paragraph with **bold**, *italic* and `inline code` in it. ",
    "\n\n- a first point to make\n- a second point, a little longer\n- a third\n\n",
    "```python\ndef add(a, b):\n    return a + b\n```\n\n",
    "> a quoted line from somewhere\n\n",
    "1. step one\n2. step two\n\n",
    "A closing paragraph that says something plain and useful. ",
]


def message_text(i: int) -> str:
    text, k = f"#{i} ", i
    while len(text) < 400:
        text += PIECES[k % len(PIECES)]
        k += 1
    return text[:400]


def build_history(data: Path) -> None:
    data.mkdir(parents=True)
    with HistoryStore.open(data / "history.db") as store:
        conv = Conversation(title="A very long chat", model="mistral-nemo")
        store.create_chat(conv)
        stats = {"eval_count": 180, "eval_duration": 4_000_000_000, "prompt_eval_count": 900}
        for i in range(N_MESSAGES):
            if i % 2 == 0:
                store.add_message(conv.id, Message("user", message_text(i)))
            else:
                store.add_message(conv.id, Message("assistant", message_text(i),
                                                   model="mistral-nemo", stats=stats))


async def one_run(url: str, data: Path, resume: str | None) -> tuple[float, float, float]:
    """(start → usable, start → first page mounted, one load-more page) in seconds."""
    settings = Settings(host=url, data_dir=data, config_path=data / "none.toml")
    gc.collect()  # the previous run's widgets are not this run's cost
    began = time.perf_counter()
    app = build_app(settings, resume=resume)
    async with app.run_test(size=SIZE) as pilot:
        def usable() -> bool:
            if not app.prompt.has_focus:
                return False
            if not app.conversation.messages:
                return True
            view = app.views.get(id(app.conversation.messages[-1]))
            return view is not None and app.chat.region.overlaps(view.region)

        while not usable():
            await asyncio.sleep(0.002)
        ready = time.perf_counter() - began
        if not app.conversation.messages:
            return ready, ready, 0.0
        while len(app.query(MessageView)) < PAGE:
            await asyncio.sleep(0.005)
        page = time.perf_counter() - began
        [control] = app.hidden_controls()
        t0 = time.perf_counter()
        await app.load_hidden(control)
        await pilot.pause()
        more = time.perf_counter() - t0
        return ready, page, more


async def main() -> None:
    standin = OllamaStandin().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            long_data, empty_data = Path(tmp) / "long", Path(tmp) / "empty"
            build_history(long_data)
            empty_data.mkdir()
            await one_run(standin.url, empty_data, None)  # warm imports and caches
            base = [(await one_run(standin.url, empty_data, None))[0] for _ in range(RUNS)]
            runs = [await one_run(standin.url, long_data, "last") for _ in range(RUNS)]
    finally:
        standin.stop()
    ready = [r[0] for r in runs]
    print(f"empty chat, start → usable:                {fmt_runs(base)}")
    print(f"{N_MESSAGES:,} messages resumed, start → usable:   {fmt_runs(ready)}")
    print(f"  ratio (resumed / empty): {median(ready) / median(base):.2f}x")
    print(f"  first page ({PAGE} messages) mounted after: {fmt_runs([r[1] for r in runs])}")
    print(f"  one 'load more' page of {PAGE}:           {fmt_runs([r[2] for r in runs])}")


if __name__ == "__main__":
    asyncio.run(main())
