"""Token counting speed: count_text throughput and keystroke-to-count latency.

    /work/venv/bin/python bench/bench_tokens.py [--tokenizer mistral-nemo|mistral]

Prints medians of 5 runs:
* count_text throughput on ~5 MB of mixed text (prose, code, CJK, Arabic, emoji);
* keystroke-to-count: one more character in the draft of a 100-message conversation with a
  warm segment cache — `Conversation.request_messages()` + `count_request()` — against a
  full `MistralTokenizer.encode_chat_completion` of the same request (the baseline);
* Ollama truncation emulation (`visible_messages`) on 1,000 messages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nemo_tui.core.context import visible_messages  # noqa: E402
from nemo_tui.core.conversation import Attachment, Conversation, Message  # noqa: E402
from nemo_tui.core.tokens import counter_for  # noqa: E402

PIECES = [
    "The quick brown fox jumps over the lazy dog, again and again. ",
    "def handler(event, ctx):\n    return {'status': 200, 'body': event}\n",
    "日本語のテキストを数えます。",
    "مرحبا بالعالم، هذا نص عربي. ",
    "emoji 😀🎉👍 ",
    "Ünïcödé façade naïve résumé ",
    "1234567890 3.14159 ",
    "\n\n",
]


def median_time(fn, runs: int = 5, calls: int = 1) -> float:
    """Median over `runs` of the mean time of `calls` consecutive calls."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def mixed_text(n_bytes: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_bytes:
        p = rng.choice(PIECES)
        out.append(p)
        size += len(p.encode())
    return "".join(out)


def conversation(n: int, seed: int = 2) -> Conversation:
    rng = random.Random(seed)
    conv = Conversation(system_prompt="You are a careful assistant. Answer briefly.")
    for i in range(n):
        role = "user" if i % 2 == 0 else "assistant"
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(5, 40)))
        atts = []
        if role == "user" and i % 10 == 0:
            atts = [Attachment(path=f"src/mod{i}.py", content=mixed_text(4000, i), size=4000)]
        conv.messages.append(Message(role, text, attachments=atts))
    return conv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default="mistral-nemo", help="a model name, e.g. mistral")
    args = ap.parse_args()

    counter = counter_for(args.tokenizer)
    t0 = time.perf_counter()
    counter.load()
    print(f"tokenizer: {counter.spec.label} ({counter.spec.filename}); "
          f"import+load {time.perf_counter() - t0:.2f} s")

    text = mixed_text(5_000_000)
    mb = len(text.encode()) / 1e6
    t = median_time(lambda: counter.count_text(text))
    print(f"count_text: {mb:.2f} MB in {t * 1000:.0f} ms → {mb / t:.1f} MB/s "
          f"({counter.count_text(text):,} tokens)")

    from mistral_common.protocol.instruct.messages import (
        AssistantMessage,
        SystemMessage,
        UserMessage,
    )
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    classes = {"system": SystemMessage, "user": UserMessage, "assistant": AssistantMessage}
    conv = conversation(100)
    draft = Message("user", "Could you also explain the second part of")
    counter.count_request(conv.request_messages(extra=draft))  # warm cache (as the app does)

    keystrokes = iter(range(10**9))

    def keystroke() -> int:
        draft.content += "abcdefghij"[next(keystrokes) % 10]
        return counter.count_request(conv.request_messages(extra=draft))

    def keystroke_count_only(msgs=conv.request_messages(extra=draft)) -> int:
        msgs[-1] = {"role": "user", "content": msgs[-1]["content"] + "x"}
        return counter.count_request(msgs)

    def baseline() -> int:
        msgs = conv.request_messages(extra=draft)
        req = ChatCompletionRequest(
            messages=[classes[m["role"]](content=m["content"]) for m in msgs]
        )
        return len(counter.mistral_tokenizer.encode_chat_completion(req).tokens)

    assert keystroke() == baseline()
    n_tok = baseline()

    def cold() -> int:
        counter.clear_cache()
        return keystroke()

    inc = median_time(keystroke, calls=20)
    inc_only = median_time(keystroke_count_only, calls=20)
    cold_t = median_time(cold)
    base = median_time(baseline)
    counter.count_request(conv.request_messages(extra=draft))
    print(f"keystroke-to-count, 100 messages ({n_tok:,} tokens), median of 5 runs:")
    print(f"  request_messages + count_request: {inc * 1000:.3f} ms (warm segment cache)")
    print(f"  count_request alone:              {inc_only * 1000:.3f} ms")
    print(f"  cold cache (first count):         {cold_t * 1000:.2f} ms")
    print(f"  baseline encode_chat_completion:  {base * 1000:.2f} ms  (ratio {base / inc:.0f}x)")

    big = conversation(1000, seed=3).request_messages()
    counter.count_request(big)
    t = median_time(lambda: visible_messages(big, 8192, counter.count_request))
    plan = visible_messages(big, 8192, counter.count_request)
    print(f"visible_messages, 1000 messages, num_ctx 8192: {t * 1000:.1f} ms "
          f"({len(plan.dropped)} dropped, {plan.prompt_tokens:,} tokens kept)")


if __name__ == "__main__":
    main()
