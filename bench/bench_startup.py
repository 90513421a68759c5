"""Startup: seconds from launching the interpreter to the first frame with the prompt ready.

    python bench/bench_startup.py [--runs 7]

Runs the real app headless in a fresh process each time (bench/startup_probe.py), against a
stand-in Ollama, and, as baselines in the same script, a bare `python -c pass` and a minimal
Textual app. Target: ≤ 0.5 s median on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, fmt_runs, median

from tests.standin import OllamaStandin

MINIMAL = (
    "import os,time;T0=float(os.environ['PROBE_T0'])\n"
    "from textual.app import App\nfrom textual.widgets import TextArea\n"
    "class A(App):\n def compose(self): yield TextArea()\n"
    " def on_ready(self): self.call_after_refresh(lambda: (print(f'READY {time.time()-T0:.4f}',flush=True), self.exit()))\n"
    "A().run(headless=True)\n"
)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    env = {**env, "PROBE_T0": repr(time.time())}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("READY")), None)
    if line is None:
        raise SystemExit(f"probe failed: {out.stdout}\n{out.stderr}")
    return float(line.split()[1]), line


def main(runs: int) -> None:
    with OllamaStandin() as server, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEMO_TUI_DATA_DIR": tmp, "PYTHONPATH": str(ROOT)}
        bare, minimal, app = [], [], []
        last = ""
        for _ in range(runs):
            start = time.time()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.time() - start)
            minimal.append(timed([sys.executable, "-c", MINIMAL], env)[0])
            seconds, last = timed([sys.executable, str(ROOT / "bench" / "startup_probe.py"), server.url], env)
            app.append(seconds)
    print(f"python -c pass          : {fmt_runs(bare)}")
    print(f"minimal Textual app     : {fmt_runs(minimal)}")
    print(f"nemo-tui first frame    : {fmt_runs(app)}")
    print(f"ratio nemo-tui / minimal: {median(app) / median(minimal):.2f}x")
    print(f"last probe: {last}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    main(parser.parse_args().runs)
