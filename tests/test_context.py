"""num_ctx resolution, KV cache size, the budget gauge and Ollama's truncation rule."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest

from nemo_tui.core.context import (
    ContextBudget,
    DropPlan,
    budget_level,
    format_bytes,
    kv_bytes_per_token,
    kv_cache_bytes,
    modelfile_num_ctx,
    next_fitting_ctx,
    parse_ctx,
    resolve_num_ctx,
    visible_messages,
)
from nemo_tui.core.tokens import counter_for

NEMO_INFO = {
    "general.architecture": "llama",
    "llama.context_length": 1024000,
    "llama.block_count": 40,
    "llama.attention.head_count": 32,
    "llama.attention.head_count_kv": 8,
    "llama.attention.key_length": 128,
    "llama.attention.value_length": 128,
    "llama.embedding_length": 5120,
}
PARAMS = (
    'stop                           "[INST]"\n'
    "num_ctx                        32768\n"
    "temperature                    0.3"
)
SHOW = {"parameters": PARAMS, "model_info": NEMO_INFO}
SHOW_NO_CTX = {"parameters": 'stop                           "[INST]"', "model_info": NEMO_INFO}


@pytest.fixture(scope="module")
def tekken():
    c = counter_for("mistral-nemo")  # shared with test_tokens: loaded once per session
    c.load()
    return c


# --------------------------------------------------------------------------- parse_ctx


@pytest.mark.parametrize(
    "text,value",
    [("8192", 8192), ("32k", 32768), ("32K", 32768), ("128k", 131072), (" 4k ", 4096),
     ("1m", 1048576), ("1M", 1048576), ("1.5k", 1536), ("32_768", 32768), ("32,768", 32768),
     (2048, 2048)],
)
def test_parse_ctx(text, value):
    assert parse_ctx(text) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "32x", "-1", "0", "0k", "k", "1.0001k", "32 kb", "1e4", True]
)
def test_parse_ctx_errors(text):
    with pytest.raises(ValueError, match="context size"):
        parse_ctx(text)


# --------------------------------------------------------------------------- resolve_num_ctx


def test_precedence_chat_then_modelfile_then_ps_then_default():
    ps = {"name": "mistral-nemo:latest", "context_length": 16384}
    r = resolve_num_ctx(65536, SHOW, ps, "0.12.6")
    assert (r.value, r.source, r.clamped, r.assumed) == (65536, "set with /ctx", False, False)
    r = resolve_num_ctx(None, SHOW, ps, "0.12.6")
    assert (r.value, r.source) == (32768, "Modelfile PARAMETER num_ctx")
    r = resolve_num_ctx(None, SHOW_NO_CTX, ps, "0.12.6")
    assert (r.value, r.source) == (16384, "loaded model (ollama ps)")
    r = resolve_num_ctx(None, SHOW_NO_CTX, None, "0.12.6")
    assert (r.value, r.source, r.assumed) == (4096, "server default for Ollama 0.12.6", False)
    assert r.training_context == 1024000


@pytest.mark.parametrize(
    "version,value,assumed",
    [("0.6.6", 2048, False), ("0.6.7", 4096, False), ("0.15.4", 4096, False),
     ("0.15.5", 4096, True), ("0.16.0", 4096, True), ("0.1.32", 2048, False),
     ("v0.6.7-rc1", 4096, False), (None, 4096, True), ("0.0.0", 4096, True), ("junk", 4096, True)],
)
def test_server_default_by_version(version, value, assumed):
    r = resolve_num_ctx(None, SHOW_NO_CTX, {"context_length": 0}, version)
    assert (r.value, r.assumed) == (value, assumed)
    if version == "0.15.5":
        assert "VRAM" in r.source and "assumed 4096" in r.source and "/ctx" in r.source
    elif not assumed:
        assert r.source == f"server default for Ollama {version}"


def test_clamped_to_training_context():
    small = dict(NEMO_INFO, **{"llama.context_length": 8192})
    r = resolve_num_ctx(32768, {"parameters": "", "model_info": small}, None, "0.12.6")
    assert (r.value, r.clamped, r.requested, r.training_context) == (8192, True, 32768, 8192)
    r = resolve_num_ctx(None, {"parameters": PARAMS, "model_info": small}, None, "0.12.6")
    assert (r.value, r.clamped, r.source) == (8192, True, "Modelfile PARAMETER num_ctx")
    r = resolve_num_ctx(8192, {"model_info": small}, None, "0.12.6")
    assert (r.value, r.clamped) == (8192, False)


def test_accepts_client_objects():
    # the ollama client names the attribute `modelinfo` (alias model_info)
    show = SimpleNamespace(parameters=PARAMS, modelinfo=NEMO_INFO)
    ps = SimpleNamespace(context_length=16384)
    r = resolve_num_ctx(None, show, ps, "0.12.6")
    assert (r.value, r.training_context) == (32768, 1024000)
    show = SimpleNamespace(parameters=None, modelinfo=None)
    assert resolve_num_ctx(None, show, ps, None).value == 16384
    assert resolve_num_ctx(None, None, None, "0.5.0").value == 2048


def test_modelfile_parsing():
    assert modelfile_num_ctx(None) is None
    assert modelfile_num_ctx("num_ctx 2048\nnum_ctx                        8192") == 8192
    assert modelfile_num_ctx("num_ctx_extra 5\nnum_ctxx 9") is None


# --------------------------------------------------------------------------- KV cache


def test_kv_cache_for_nemo():
    assert kv_bytes_per_token(NEMO_INFO) == 163_840
    assert kv_cache_bytes(NEMO_INFO, 32768) == 5 * 2**30
    assert kv_cache_bytes(NEMO_INFO, 131072) == 20 * 2**30
    assert kv_cache_bytes(NEMO_INFO, 32768, "q8_0") == 5 * 2**30 // 2
    assert kv_cache_bytes(NEMO_INFO, 32768, "q4_0") == 5 * 2**30 // 4
    assert format_bytes(kv_cache_bytes(NEMO_INFO, 32768)) == "5.0 GiB"
    assert format_bytes(163_840) == "160.0 KiB"
    assert format_bytes(512) == "512 B"
    assert kv_cache_bytes({}, 4096) is None
    assert kv_cache_bytes({"general.architecture": "llama"}, 4096) is None
    no_lengths = {k: v for k, v in NEMO_INFO.items() if "_length" not in k or "context" in k}
    no_lengths["llama.embedding_length"] = 4096  # head dim = 4096 / 32 = 128
    assert kv_bytes_per_token(no_lengths) == 163_840
    with pytest.raises(ValueError):
        kv_cache_bytes(NEMO_INFO, 4096, "q2_k")


# --------------------------------------------------------------------------- budget


@pytest.mark.parametrize(
    "used,level",
    [(0, "ok"), (749, "ok"), (750, "warn"), (899, "warn"), (900, "high"), (1000, "high"),
     (1001, "over")],
)
def test_budget_levels_at_thresholds(used, level):
    assert budget_level(used, 1000) == level
    b = ContextBudget(1000, system=0, history=used)
    assert b.level == level
    assert b.overflow_by == max(0, used - 1000)


def test_budget_segments_and_next_ctx():
    b = ContextBudget(4096, system=100, history=3000, attachments=500, draft=96, reply_reserve=1024)
    assert b.prompt == 3696 and b.total == 4720
    assert b.fraction == pytest.approx(4720 / 4096)
    assert b.level == "over" and b.overflow_by == 624 and not b.fits
    assert b.next_fitting_ctx() == 5120
    assert b.next_fitting_ctx(4096) == 4096
    assert next_fitting_ctx(1) == 1024
    assert next_fitting_ctx(1025) == 2048
    assert next_fitting_ctx(9000, training_context=8192) is None
    assert next_fitting_ctx(8000, training_context=8000) == 8000
    assert next_fitting_ctx(8192, training_context=8192) == 8192


def test_budget_from_parts(tekken):
    msgs = [
        {"role": "system", "content": "You are concise."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "<file path=\"a.txt\">\nhello world\n</file>\n\nthree"},
    ]
    parts = tekken.count_request_parts(msgs)
    att = tekken.count_text('<file path="a.txt">\nhello world\n</file>')
    b = ContextBudget.from_parts(msgs, parts, 8192, draft_index=-1, draft_attachment_tokens=att,
                                 reply_reserve=512, training_context=1024000)
    assert b.prompt == tekken.count_request(msgs)
    assert b.system > 0 and b.history > 0 and b.attachments == att and b.draft > 0
    assert b.total == b.prompt + 512


# --------------------------------------------------------------------------- truncation


def toy_count(messages):
    """1 token per character plus 1 per message: easy to reason about."""
    return sum(len(m["content"]) + 1 for m in messages)


def msg(role, n, tag=""):
    return {"role": role, "content": (tag or role[0]) * n}


def test_everything_fits():
    msgs = [msg("system", 9), msg("user", 9), msg("assistant", 9), msg("user", 9)]
    plan = visible_messages(msgs, 40, toy_count)
    assert plan == DropPlan(0, [], 40, 40) and plan.fits and not plan.truncated


def test_oldest_dropped_and_system_kept():
    msgs = [msg("system", 9)] + [msg(r, 9) for r in ("user", "assistant") * 2] + [msg("user", 9)]
    plan = visible_messages(msgs, 40, toy_count)  # all = 60; system + last 3 = 40
    assert plan.start == 3 and plan.dropped == [1, 2] and plan.prompt_tokens == 40
    # a system message in the dropped part is put back, not dropped
    msgs = [msg("user", 9), msg("system", 9), msg("assistant", 9), msg("user", 9)]
    plan = visible_messages(msgs, 30, toy_count)
    assert plan.start == 1 and plan.dropped == [0] and plan.prompt_tokens == 30


def test_latest_kept_even_if_alone_it_overflows():
    msgs = [msg("user", 5), msg("assistant", 5), msg("user", 100)]
    plan = visible_messages(msgs, 50, toy_count)
    assert plan.start == 2 and plan.dropped == [0, 1]
    assert plan.prompt_tokens == 101 and not plan.fits
    assert visible_messages([], 50, toy_count) == DropPlan(0, [], 0, 50)


def test_first_fitting_suffix_not_longest():
    # Ollama stops at the FIRST suffix (oldest first) that fits, even if a later one would not
    counts = {4: 90, 3: 40, 2: 60, 1: 10}

    def odd(messages):
        return counts[len(messages)]

    msgs = [msg("user", 1), msg("assistant", 1), msg("user", 1), msg("assistant", 1)]
    assert visible_messages(msgs, 50, odd).start == 1


def test_truncation_with_real_counter(tekken):
    rng = random.Random(7)
    words = ["alpha", "béta", "日本語", "😀", "code()", "\n", "  "]
    msgs = [{"role": "system", "content": "Be brief."}]
    for i in range(60):
        role = "user" if i % 2 == 0 else "assistant"
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 80)))
        msgs.append({"role": role, "content": text})
    for num_ctx in (64, 300, 1000, 2000, 100_000):
        fast = visible_messages(msgs, num_ctx, tekken.count_request)  # uses suffix_counts
        slow = visible_messages(msgs, num_ctx, lambda m: tekken.count_request(m))
        assert fast == slow, num_ctx
        kept = [msgs[0]] + msgs[max(fast.start, 1):] if fast.start else msgs
        assert tekken.count_request(kept) == fast.prompt_tokens
        if fast.start > 1:
            assert fast.fits or fast.start == len(msgs) - 1
            assert fast.dropped == list(range(1, fast.start))


def test_truncation_is_fast_for_1000_messages(tekken):
    msgs = [{"role": "system", "content": "You are a helpful assistant."}]
    for i in range(1000):
        role = "user" if i % 2 == 0 else "assistant"
        msgs.append({"role": role, "content": f"message {i}: " + "some words here " * 20})
    tekken.count_request(msgs)  # warm the segment cache, as the app's gauge would
    t0 = time.perf_counter()
    plan = visible_messages(msgs, 8192, tekken.count_request)
    elapsed = time.perf_counter() - t0
    assert plan.truncated and plan.fits and plan.prompt_tokens <= 8192
    assert elapsed < 0.25, elapsed
