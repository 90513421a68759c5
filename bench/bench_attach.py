"""/attach timing and UI responsiveness: `python bench/bench_attach.py [--mb 20] [--files 2000]`.

Runs the app headless against the Ollama stand-in and attaches (1) this repository and (2) a
generated tree of `--files` Python files totalling `--mb` MB. For each it reports the time
from Enter to the files being attached (read + exact Tekken count + fit check), the longest
stall of the event loop meanwhile (a 20 ms timer's worst gap), and how long 20 keys typed
during the attach took to reach the prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts the repo on sys.path

from textual import events

from nemo_tui.settings import Settings
from nemo_tui.ui.factory import build_app
from tests.standin import OllamaStandin

LINE = "def handler(request):  # a line of ordinary code, about forty bytes\n"


def make_tree(root: Path, files: int, total_bytes: int) -> None:
    per_file = max(1, total_bytes // files)
    body = LINE * max(1, per_file // len(LINE))
    for i in range(files):
        folder = root / f"pkg{i // 100:03}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i:05}.py").write_text(f"# module {i}\n{body}")


def send_keys(app, text: str) -> None:
    for ch in text:
        key = events.Key({" ": "space", "\r": "enter"}.get(ch, ch), ch)
        key.set_sender(app)
        app._driver.send_message(key)


async def measure(host: str, data: Path, cwd: Path, target: str, auto_route: bool) -> dict[str, float]:
    os.chdir(cwd)
    settings = Settings(host=host, data_dir=data, config_path=data / "config.toml", auto_route=auto_route)
    app = build_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.accountant.counter("mistral-nemo").ready
                   and app.accountant.facts_for("mistral-nemo").show is not None):
            await pilot.pause(0.05)
        loop = asyncio.get_running_loop()
        gaps = [0.0]
        last = [loop.time()]

        def tick() -> None:
            now = loop.time()
            gaps.append(now - last[0])
            last[0] = now

        app.set_interval(0.02, tick)
        app.prompt.load_text(f"/attach {target}")
        started = time.perf_counter()
        send_keys(app, "\r")
        while app.attach_book.job is None:
            await asyncio.sleep(0.005)
        text = "typing during attach"
        typed_at = time.perf_counter()
        send_keys(app, text)
        typed = None
        while app.attach_book.job is not None or typed is None:
            if typed is None and app.prompt.text == text:
                typed = time.perf_counter() - typed_at
            await asyncio.sleep(0.005)
        attached = time.perf_counter() - started
        files = len(app.pending_attachments)
        size = sum(a.size for a in app.pending_attachments)
        tokens = sum(a.tokens or 0 for a in app.pending_attachments)
        gauge_started = time.perf_counter()
        while not (app.gauge.accounting and app.gauge.accounting.budget
                   and app.gauge.accounting.budget.attachments >= tokens * 0.99):
            await asyncio.sleep(0.01)
        gauge = time.perf_counter() - gauge_started
    return dict(attached=attached, files=files, mb=size / 1e6, tokens=tokens, max_gap=max(gaps),
                keys=typed or 0.0, gauge=gauge)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--auto-route", action="store_true", help="route turns (default: pinned model)")
    args = parser.parse_args()
    here = os.getcwd()
    with OllamaStandin() as standin, tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        make_tree(tree / "big", args.files, int(args.mb * 1024 * 1024 * 0.97))
        for name, cwd, target in (("this repo", Path(here), "."), (f"{args.mb:g} MB tree", tree, "big")):
            r = asyncio.run(measure(standin.url, Path(tmp) / "data", cwd, target, args.auto_route))
            print(f"{name:>12}: {r['files']:,} files, {r['mb']:.1f} MB, {r['tokens']:,} tokens attached in "
                  f"{r['attached']:.2f} s; worst UI stall {r['max_gap'] * 1000:.0f} ms; 20 keys typed meanwhile "
                  f"reached the prompt in {r['keys'] * 1000:.0f} ms; gauge caught up {r['gauge']:.2f} s later")
        os.chdir(here)


if __name__ == "__main__":
    main()
