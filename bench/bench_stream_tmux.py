"""Streaming in a real terminal: the app runs in tmux; we type, press Enter, and poll the
screen until the reply's footer (written after the last render) is on it.

    python bench/bench_stream_tmux.py [--runs 3] [--pace 500]

Needs tmux. Reports the time from Enter to the finished reply on screen, next to a bare
`ollama.AsyncClient` drain of the same stream, measured in the same script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time

from _common import ROOT, fmt_runs, median
from bench_stream import bare_drain

from tests.standin import OllamaStandin, long_markdown_reply

SESSION = "nemo-bench"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_screen(predicate, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate(screen()):
            return time.perf_counter()
        time.sleep(0.005)
    raise SystemExit(f"timed out; screen:\n{screen()}")


def run_app(url: str, data: str) -> float:
    tmux("kill-session", "-t", SESSION)
    cmd = f"cd {ROOT} && NEMO_TUI_DATA_DIR={data} {sys.executable} -m nemo_tui --host {url}"
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", cmd)
    wait_screen(lambda s: "Tekken (exact)" in s, 20)  # tokenizer loaded, app idle
    time.sleep(0.5)
    tmux("send-keys", "-t", SESSION, "go")
    time.sleep(0.2)
    start = time.perf_counter()
    tmux("send-keys", "-t", SESSION, "Enter")
    end = wait_screen(lambda s: "tok/s" in s, 60)
    tmux("kill-session", "-t", SESSION)
    return end - start


def main(runs: int, pace: float | None) -> None:
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed")
    with OllamaStandin() as server, tempfile.TemporaryDirectory() as tmp:
        server.chunks = long_markdown_reply()
        server.chunks_per_second = pace
        bare, app = [], []
        for i in range(runs):
            bare.append(asyncio.run(bare_drain(server.url)))
            app.append(run_app(server.url, os.path.join(tmp, str(i))))
    label = f"{pace:g} chunks/s" if pace else "unpaced"
    print(f"[tmux 120x40, {label}, {len(server.chunks)} chunks]")
    print(f"  bare AsyncClient drain     : {fmt_runs(bare)}")
    print(f"  Enter → finished on screen : {fmt_runs(app)}")
    print(f"  ratio                      : {median(app) / median(bare):.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pace", type=float, default=500.0, help="chunks per second; 0 = unpaced")
    ns = parser.parse_args()
    main(ns.runs, ns.pace or None)
