"""Token counts must equal mistral-common's encode_chat_completion, for both tokenizers."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.tokens import (
    SPM_V3,
    TEKKEN,
    EstimateCounter,
    TokenCounter,
    counter_for,
    tokenizer_for,
)


@pytest.fixture(scope="module", params=["mistral-nemo", "mistral"])
def counter(request) -> TokenCounter:
    c = counter_for(request.param)  # shared per process: each tokenizer loads once
    c.load()
    assert c.ready and c.exact
    return c


# Shapes the validator rejects although normalizer and encoder handle them; they are compared
# with the same normalizer + encoder minus the validator.
UNVALIDATED = {"system after reply", "lone assistant"}


def reference(c: TokenCounter, messages: list[dict], validate: bool = True) -> int:
    """mistral-common's count; a trailing assistant becomes a prefix (continuation).

    With validate=None the validator is used when it accepts the shape.
    """
    from mistral_common.exceptions import InvalidMessageStructureException
    from mistral_common.protocol.instruct.messages import (
        AssistantMessage,
        SystemMessage,
        UserMessage,
    )
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    out = []
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            out.append(AssistantMessage(content=m["content"], prefix=i == len(messages) - 1))
        else:
            cls = UserMessage if m["role"] == "user" else SystemMessage
            out.append(cls(content=m["content"]))
    mt = c.mistral_tokenizer
    req = ChatCompletionRequest(messages=out)
    if validate or validate is None:
        try:
            return len(mt.encode_chat_completion(req).tokens)
        except InvalidMessageStructureException:
            if validate:
                raise
    # the same normalizer and encoder, without the validator's structural checks
    instruct = mt._instruct_request_normalizer.from_chat_completion_request(req)
    return len(mt.instruct_tokenizer.encode_instruct(instruct).tokens)


def u(text: str) -> dict:
    return {"role": "user", "content": text}


def a(text: str) -> dict:
    return {"role": "assistant", "content": text}


def s(text: str) -> dict:
    return {"role": "system", "content": text}


LONG = "\n".join(f"Line {i}: the quick brown fox, 日本語, مرحبا, 😀 {i * 7}" for i in range(3000))
SHAPES = {
    "one user": [u("Hello")],
    "system+user": [s("You are terse."), u("Hi")],
    "multi-turn": [s("Be kind."), u("a"), a("b"), u("c"), a("d"), u("e")],
    "two systems": [s("One."), s("Two."), u("x"), a("y"), u("z")],
    "system mid-run": [s("S"), u("a"), s("T"), u("b")],
    "system after reply": [u("a"), a("b"), s("late system"), u("c")],
    "empty system": [s(""), u("x")],
    "merged users": [u("a"), u(""), u("b"), a("c"), a("d"), u("e")],
    "starts with assistant": [a("I start"), u("ok")],
    "system then assistant": [s("S"), a("hi"), u("yo")],
    "unicode": [u("日本語のテキスト。"), a("مرحبا بالعالم"), u("emoji 😀🎉👩‍👩‍👧 e\u0301 ﬁ")],
    "empty user": [u("")],
    "empty last user with system": [s("S"), u("a"), a("b"), u("")],
    "whitespace": [u("  lead and trail  \n"), a("  reply with spaces   "), u("\n\n x \t")],
    "assistant trailing newline+space": [u("q"), a("line \n "), u(" ")],
    "specials as text": [u("[INST] fake [/INST] </s> <s>"), a("[TOOL_CALLS] no"), u("ok")],
    "long": [s("Sys"), u(LONG), a(LONG[:20000]), u("summarise")],
    "ends with assistant": [s("S"), u("a"), a("partial answer  ")],
    "lone assistant": [a("hello")],
    "ends with two assistants": [u("a"), a("b"), a("c")],
    "system only": [s("Only a system prompt.")],
    "crlf and tabs": [u("a\r\nb\r\n\tc"), a("x\ty"), u("\r\n")],
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_count_request_matches_mistral_common(counter, shape):
    msgs = SHAPES[shape]
    assert counter.count_request(msgs) == reference(counter, msgs, shape not in UNVALIDATED)


def test_random_shapes_match(counter):
    rng = random.Random(1234)
    pieces = ["hi", " there", "\n", "\n\n", "  ", "日本", "مرحبا", "😀", "x" * 50, "", "Ünï",
              "def f():\n    pass"]
    for _ in range(150):
        msgs = []
        for _ in range(rng.randint(1, 9)):
            role = rng.choice(["user", "user", "assistant", "assistant", "system"])
            content = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
            if role == "assistant" and not content.strip(" "):
                content = "ok"  # mistral-common rejects empty assistant text
            msgs.append({"role": role, "content": content})
        if len(msgs) == 1 and msgs[0]["role"] == "assistant":
            msgs.insert(0, u("q"))
        assert counter.count_request(msgs) == reference(counter, msgs, None), msgs
        parts = counter.count_request_parts(msgs)
        assert parts.total == parts.overhead + sum(parts.per_message) == counter.count_request(msgs)
        suffixes = counter.suffix_counts(msgs)
        for i in range(len(msgs)):
            kept = [m for m in msgs[:i] if m["role"] == "system"] + msgs[i:]
            assert suffixes[i] == counter.count_request(kept), (msgs, i)


def test_edge_cases_mistral_common_rejects(counter):
    assert counter.count_request([]) == 0
    assert counter.suffix_counts([]) == []
    # an empty assistant turn counts as its </s>, like whitespace-only text does
    empty = [u("q"), a(""), u("r")]
    assert counter.count_request(empty) == reference(counter, [u("q"), a("   "), u("r")])
    assert counter.count_request([u("q"), a("")]) == counter.count_request([u("q")])


def test_conversation_request_messages(counter):
    att = Attachment(path="src/app.py", content="def main():\n    print('hé')\n", size=30)
    conv = Conversation(system_prompt="You are helpful.")
    conv.messages = [
        Message("user", "Look at this", attachments=[att]),
        Message("assistant", "It prints hé."),
        Message("assistant", "", status="error"),  # not sent
        Message("user", "Thanks"),
        Message("assistant", "You're welcome  "),
    ]
    draft = Message("user", "And now?", attachments=[att])
    msgs = conv.request_messages("Answer in French.", extra=draft)
    assert counter.count_request(msgs) == reference(counter, msgs)
    # Message objects are counted by what they send (request_content)
    objs = [Message("user", "Look", attachments=[att]), Message("assistant", "ok"), draft]
    as_dicts = [{"role": m.role, "content": m.request_content()} for m in objs]
    assert counter.count_request(objs) == reference(counter, as_dicts)


def test_count_text_matches_encode(counter):
    inner = counter.mistral_tokenizer.instruct_tokenizer.tokenizer
    one_line = LONG.replace("\n", " ")  # long text split at spaces (SentencePiece)
    samples = ["", "a", " a", "a ", "\n", "\nfoo", "日本語 😀", LONG, LONG * 4 + "tail",
               "\n" * 20000, one_line, one_line.replace(" ", "  "), "日本語のテキスト" * 8000,
               "x" * 100_000,
               ("word " * 5000 + "\n") * 5, " \n" * 30000, "a b\n" * 30000]
    for text in samples:
        assert counter.count_text(text) == len(inner.encode(text, bos=False, eos=False))


def test_counting_is_incremental(counter, monkeypatch):
    history = []
    for i in range(50):
        history += [u(f"question {i} " + "lorem ipsum " * 40),
                    a(f"answer {i} " + "dolor sit " * 60)]
    system = s("You are a careful assistant.")
    counter.count_request([system, *history, u("draft")])
    calls = []
    raw = counter._raw
    monkeypatch.setattr(counter, "_raw", lambda text: calls.append(text) or raw(text))
    msgs = [system, *history, u("draft plus one more word")]
    assert counter.count_request(msgs) == reference(counter, msgs)
    assert len(calls) == 1  # only system + draft, the last user turn, is tokenized again
    assert calls[0].endswith("draft plus one more word")


def test_tokenizer_choice_from_names():
    for name in ["mistral-nemo", "mistral-nemo:latest", "mistral-nemo:12b",
                 "mistral-nemo:12b-instruct-2407-q4_K_M", "library/mistral-nemo:12b",
                 "registry.ollama.ai/library/mistral-nemo:latest", "Mistral-Nemo"]:
        assert tokenizer_for(name) == TEKKEN, name
    for name in ["mistral", "mistral:latest", "mistral:7b", "mistral:7b-instruct",
                 "mistral:7b-instruct-v0.3-q4_K_M", "mistral:v0.3", "mistral:instruct"]:
        assert tokenizer_for(name) == SPM_V3, name
    for name in ["llama3.2", "qwen2.5:7b", "mistral-small", "mistral-large:latest",
                 "mistral:7b-instruct-v0.2-q4_0", "mistral-nemotron", "", "nemo"]:
        spec = tokenizer_for(name, family="llama")
        assert spec.kind == "estimate" and not spec.exact, name
    assert TEKKEN.path.endswith("mistral_common/data/tekken_240718.json")
    assert SPM_V3.path.endswith("mistral_common/data/mistral_instruct_tokenizer_240323.model.v3")


def test_estimate_counter_is_marked_not_exact():
    est = counter_for("llama3.2", family="llama")
    assert isinstance(est, EstimateCounter)
    assert est.exact is False and est.spec.exact is False and est.ready
    est.load()
    assert est.count_text("") == 0
    assert est.count_text("abcdefgh") == 2
    assert est.count_text("日本") == 2  # 6 UTF-8 bytes
    msgs = [s("S"), u("hello there"), a("hi"), u("again")]
    parts = est.count_request_parts(msgs)
    assert parts.total == est.count_request(msgs) > 0
    assert len(est.suffix_counts(msgs)) == 4
    with pytest.raises(ValueError):
        TokenCounter(tokenizer_for("llama3.2"))


def test_counter_is_shared_and_unknown_roles_rejected(counter):
    other_tag = "mistral-nemo:12b" if counter.spec.kind == "tekken" else "mistral:7b"
    assert counter_for(other_tag) is counter
    with pytest.raises(ValueError, match="role"):
        counter.count_request([{"role": "tool", "content": "x"}])


def test_import_does_not_load_heavy_modules():
    code = (
        "import sys, nemo_tui.core.tokens, nemo_tui.core.context\n"
        "bad = [m for m in ('mistral_common', 'textual', 'ollama', 'sentencepiece', 'tiktoken')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
        "nemo_tui.core.tokens.counter_for('mistral-nemo')\n"
        "assert 'mistral_common' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_sentencepiece_chunk_splits_are_exact(monkeypatch):
    from nemo_tui.core import tokens

    c = counter_for("mistral")
    c.load()
    inner = c.mistral_tokenizer.instruct_tokenizer.tokenizer
    monkeypatch.setattr(tokens, "_SP_CHUNK", 64)  # split every few words
    count = tokens._raw_counter(inner, "spm_v3")
    rng = random.Random(5)
    alphabet = ["a", "Z", "0", " ", "  ", "\n", "\t", "\u00a0", "\u3000", "e\u0301", "日", "😀",
                "▁", ".", "\r\n", "ﬁ", "x" * 10, "the ", " of", "\n "]
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(50, 400)))
        assert count(text) == len(inner.encode(text, bos=False, eos=False)), text
