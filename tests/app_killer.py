"""Subprocess for the kill -9 test in tests/test_app_history.py: the real app, streaming.

    python tests/app_killer.py DATA_DIR

Starts an Ollama stand-in in this process (a long reply at 20 chunks/s), builds the app on
DATA_DIR with Textual's headless driver, types a prompt and presses Enter. Once reply text
is on screen it prints "STREAMING", then every 50 ms "SHOWN <time.monotonic()> <chars>"
(the characters of the reply the screen holds), until the test kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_tui.settings import Settings  # noqa: E402
from nemo_tui.ui.factory import build_app  # noqa: E402
from nemo_tui.ui.widgets.message import MessageView  # noqa: E402
from tests.standin import OllamaStandin  # noqa: E402

PROMPT = "Tell me a very long story, please."
REPLY = "".join(f"Sentence {i:04d} of a long reply that goes on. " for i in range(3000))
CHUNKS_PER_SECOND = 20


async def main(data_dir: Path) -> None:
    standin = OllamaStandin().start()
    standin.reply_text = REPLY
    standin.chunks_per_second = CHUNKS_PER_SECOND
    settings = Settings(host=standin.url, data_dir=data_dir,
                        config_path=data_dir / "config.toml", request_timeout=30.0)
    app = build_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        app.prompt.load_text(PROMPT)
        await pilot.press("enter")
        announced = False
        while True:
            replies = [v for v in app.query(MessageView) if v.role == "assistant"]
            shown = len(replies[-1].source) if replies else 0
            if shown and not announced:
                announced = True
                print("STREAMING", flush=True)
            if announced:
                print(f"SHOWN {time.monotonic():.4f} {shown}", flush=True)
            await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
