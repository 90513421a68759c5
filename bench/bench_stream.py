"""Streaming: how long until a ~2,000-chunk reply (a 50-item list, a 150-line fence) is fully
rendered, against a bare `ollama.AsyncClient` loop draining the same stream.

    python bench/bench_stream.py [--runs 5]

(a) paced at 500 chunks/s: ratio app/bare must be ≤ 1.1, with no event-loop stall over 50 ms;
(b) unpaced: the whole reply on screen within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import fmt_runs, median

from nemo_tui.settings import Settings
from nemo_tui.ui.factory import build_app
from tests.standin import OllamaStandin, long_markdown_reply


async def bare_drain(url: str) -> float:
    import ollama

    client = ollama.AsyncClient(host=url)
    started = time.perf_counter()
    async for _ in await client.chat(model="mistral-nemo", messages=[{"role": "user", "content": "go"}], stream=True):
        pass
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def app_render(url: str, tmpdir: str) -> tuple[float, float]:
    """Seconds from Enter until the reply is fully rendered, and the worst event-loop stall."""
    settings = Settings(host=url, data_dir=Path(tmpdir) / "data", config_path=Path(tmpdir) / "c.toml")
    app = build_app(settings)
    worst = 0.0
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.8)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        async def watch() -> None:
            nonlocal worst
            while not stop.is_set():
                before = loop.time()
                await asyncio.sleep(0.005)
                worst = max(worst, loop.time() - before - 0.005)

        watcher = asyncio.create_task(watch())
        app.prompt.load_text("go")
        started = time.perf_counter()
        await pilot.press("enter")
        while not (app.conversation.messages and app.conversation.messages[-1].status == "complete"):
            await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - started
        stop.set()
        await watcher
        view = list(app.views.values())[-1]
        assert view.source == app.conversation.messages[-1].content
        assert not view.tail.display and view._splitter.pending == ""
        assert len(view.rendered_markdown) >= len(view.source)
    return elapsed, worst


async def main(runs: int) -> None:
    import tempfile

    chunks = long_markdown_reply()
    print(f"reply: {len(chunks)} chunks, {len(''.join(chunks)):,} characters")
    with OllamaStandin() as server, tempfile.TemporaryDirectory() as tmp:
        server.chunks = chunks
        for label, pace in (("500 chunks/s", 500.0), ("unpaced", None)):
            server.chunks_per_second = pace
            bare, app, stalls = [], [], []
            for _ in range(runs):
                bare.append(await bare_drain(server.url))
                elapsed, stall = await app_render(server.url, tmp)
                app.append(elapsed)
                stalls.append(stall)
            print(f"\n[{label}]")
            print(f"  bare AsyncClient drain : {fmt_runs(bare)}")
            print(f"  nemo-tui fully rendered: {fmt_runs(app)}")
            print(f"  ratio app / bare       : {median(app) / median(bare):.2f}x")
            print(f"  worst event-loop stall : {fmt_runs(stalls, 'ms', 1000)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
