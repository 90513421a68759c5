"""Run by bench_startup.py in a fresh process: start the real app (headless) and print the
seconds from interpreter start to the first frame with the prompt focused."""

from __future__ import annotations

import os
import sys
import time

T0 = float(os.environ.get("PROBE_T0", time.time()))

from nemo_tui.settings import load_settings  # noqa: E402  (timed on purpose)
from nemo_tui.ui.app import NemoApp  # noqa: E402


class Probe(NemoApp):
    def on_ready(self) -> None:
        self._report()

    def _report(self) -> None:
        focused = type(self.focused).__name__ if self.focused else None
        print(f"READY {time.time() - T0:.4f} focused={focused} ollama_loaded={'ollama' in sys.modules} "
              f"mistral_common_loaded={'mistral_common' in sys.modules}", flush=True)
        self.exit()


if __name__ == "__main__":
    settings, _ = load_settings({"host": sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9"}, os.environ, None)
    Probe(settings).run(headless=True)
