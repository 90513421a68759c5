"""Keystroke to gauge: recount and redraw the gauge with 100 messages of history.

    python bench/bench_gauge.py [--runs 5]

Times `refresh_gauge()` (count the request with the draft, truncation check, render) after
each typed character in a headless app, against a baseline in the same script: counting the
same request from scratch with mistral-common's encode_chat_completion. Target ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from _common import median

from nemo_tui.core.conversation import Message
from nemo_tui.core.tokens import counter_for
from nemo_tui.settings import Settings
from nemo_tui.ui.factory import build_app
from tests.standin import OllamaStandin

TEXT = ("Explain how the context window works, with examples in French and German: "
        "« le contexte » / „der Kontext“. ") * 3


def history(n: int = 100) -> list[Message]:
    out = []
    for i in range(n // 2):
        out.append(Message("user", f"Question {i}: {TEXT}"))
        out.append(Message("assistant", f"Answer {i}:\n\n- point one\n- point two\n\n```python\nprint({i})\n```\n" + TEXT * 2))
    return out


async def run_once(url: str, tmp: str) -> tuple[list[float], float]:
    app = build_app(Settings(host=url, data_dir=Path(tmp) / "d", config_path=Path(tmp) / "c.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        app.conversation.messages = history()
        while not (app.gauge.accounting and app.gauge.accounting.ready):
            await pilot.pause(0.05)
        times = []
        for ch in "How does truncation work?":
            app.prompt.insert(ch)
            start = time.perf_counter()
            app.refresh_gauge()
            times.append(time.perf_counter() - start)
        await pilot.pause(0.05)
        assert app.gauge.accounting.budget.draft > 0
        from mistral_common.protocol.instruct.messages import AssistantMessage, UserMessage
        from mistral_common.protocol.instruct.request import ChatCompletionRequest

        kinds = {"user": UserMessage, "assistant": AssistantMessage}
        request = ChatCompletionRequest(messages=[kinds[m["role"]](content=m["content"])
                                                  for m in app.conversation.request_messages(extra=Message("user", app.prompt.text))])
        tokenizer = counter_for("mistral-nemo").mistral_tokenizer
        start = time.perf_counter()
        full = len(tokenizer.encode_chat_completion(request).tokens)
        baseline = time.perf_counter() - start
        assert full == app.gauge.accounting.budget.prompt, (full, app.gauge.accounting.budget)
    return times, baseline


async def main(runs: int) -> None:
    with OllamaStandin() as server, tempfile.TemporaryDirectory() as tmp:
        per_run, baselines = [], []
        for _ in range(runs):
            times, baseline = await run_once(server.url, tmp)
            per_run.append(statistics.median(times[1:]))
            baselines.append(baseline)
    print("keystroke → gauge (count + truncation check + redraw), 100 messages of history")
    print(f"  nemo-tui refresh_gauge : median {median(per_run) * 1000:.2f} ms  (runs: {', '.join(f'{t * 1000:.2f}' for t in per_run)})")
    print(f"  full encode_chat_completion (baseline): median {median(baselines) * 1000:.2f} ms")
    print(f"  ratio                  : {median(per_run) / median(baselines):.3f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
