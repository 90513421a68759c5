"""Token counts for Mistral-template chats, fast enough to recount on every keystroke.

No Textual, no ollama, and no `mistral_common` at import time: it (~0.5 s to import, ~0.8 s
more to load Tekken) is imported only in `TokenCounter.load()`, which the app runs in a
background thread; `.ready` tells when it is done.

Exact for mistral-nemo (Tekken) and Mistral 7B v0.3 (SentencePiece v3): the count equals
`len(MistralTokenizer.encode_chat_completion(ChatCompletionRequest(messages=...)).tokens)`
(InstructTokenizerV3), which encodes segment by segment, as this module does:
    <s>, then per turn: user [INST] encode(text) [/INST] | assistant encode(text.rstrip(" ")) </s>
Normalizer rules (mistral_common/protocol/instruct/normalize.py): non-empty system messages
are joined with "\n\n" and prefixed to the *last* user turn as one segment,
encode(system + "\n\n" + text); consecutive messages of one role merge with "\n\n" (empty
ones skipped; a system message still separates two runs); if the first turn is not a user
turn, an empty one is inserted. mistral-common calls encode() once per segment too, so a
per-segment count cache (keyed by content hash) is exact for SentencePiece as well (its "▁"
prefix is per call there as here). Nothing else is stripped; "[INST]" in text is plain text.

Shapes mistral-common rejects, emulated: [] → 0 (Ollama evaluates nothing); a trailing
assistant message → no </s> (Ollama's continuation; `AssistantMessage(prefix=True)`); a lone
assistant message or a system message after an assistant one → the normalizer's rules above
(only its validator objects); an all-empty assistant turn → just </s> (nothing if last).

Unknown models get `EstimateCounter` (exact=False): ceil(UTF-8 bytes / 4) per segment plus
the same control tokens — about Tekken's ratio for English, closer than chars/4 for CJK.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

TEKKEN_FILE = "tekken_240718.json"
SPM_V3_FILE = "mistral_instruct_tokenizer_240323.model.v3"
# Control tokens of the V3 instruct template; one token each in both vocabularies.
BOS = INST = END_INST = EOS = 1
JOIN = "\n\n"
_SP_CHUNK = 8192  # SentencePiece is superlinear on long inputs: encode long text in pieces


@dataclass(frozen=True)
class TokenizerSpec:
    kind: Literal["tekken", "spm_v3", "estimate"]
    exact: bool
    label: str  # for the UI, e.g. "Tekken (exact)"
    filename: str | None = None  # in mistral_common/data/
    reason: str = ""

    @property
    def path(self) -> str | None:
        """Absolute path of the tokenizer file, found without importing mistral_common."""
        if self.filename is None:
            return None
        spec = importlib.util.find_spec("mistral_common")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("mistral-common is not installed")
        return os.path.join(list(spec.submodule_search_locations)[0], "data", self.filename)


TEKKEN = TokenizerSpec("tekken", True, "Tekken (exact)", TEKKEN_FILE, "mistral-nemo uses Tekken")
SPM_V3 = TokenizerSpec(
    "spm_v3", True, "SentencePiece v3 (exact)", SPM_V3_FILE, "Mistral 7B v0.3 tokenizer"
)
_MISTRAL_V3_TAGS = {"", "latest", "instruct", "v0.3"}


def tokenizer_for(model_name: str, family: str | None = None) -> TokenizerSpec:
    """Which tokenizer counts for `model_name` (any registry prefix and tag).

    mistral-nemo[-…][:tag] → Tekken; mistral, mistral:latest/instruct/v0.3/7b* → SentencePiece
    v3 (7b tags naming v0.1/v0.2 had an older vocabulary, so those are estimated);
    everything else → an estimate, never shown as exact.
    """
    last = (model_name or "").strip().lower().rsplit("/", 1)[-1]
    base, _, tag = last.partition(":")
    if base == "mistral-nemo" or base.startswith(("mistral-nemo-", "mistral-nemo_")):
        return TEKKEN
    if base == "mistral":
        if tag.startswith("7b") and ("v0.1" in tag or "v0.2" in tag):
            return _estimate("Mistral 7B v0.1/v0.2 use an older tokenizer")
        if tag in _MISTRAL_V3_TAGS or tag.startswith("7b"):
            return SPM_V3
    return _estimate(f"no exact tokenizer for {family or 'this'} model family")


def _estimate(reason: str) -> TokenizerSpec:
    return TokenizerSpec("estimate", False, "estimate (~4 bytes/token)", None, reason)


@dataclass
class RequestCount:
    """A request's total, split by input message (sums exactly: overhead + per_message)."""

    total: int
    overhead: int  # <s> and any inserted empty user turn
    per_message: list[int] = field(default_factory=list)


@dataclass
class _Turn:
    role: str
    parts: list[str]  # non-empty contents, merged with JOIN
    idxs: list[int]  # input message indices

    @property
    def text(self) -> str:
        return self.parts[0] if len(self.parts) == 1 else JOIN.join(self.parts)


def _role_content(m: Any) -> tuple[str, str]:
    if type(m) is dict or isinstance(m, Mapping):
        role, content = m.get("role"), m.get("content")
    else:  # a Message-like object: count what would be sent
        role = getattr(m, "role", None)
        rc = getattr(m, "request_content", None)
        content = rc() if callable(rc) else getattr(m, "content", "")
    if role not in ("system", "user", "assistant"):
        raise ValueError(f"unsupported message role {role!r}")
    return role, content or ""


def _aggregate(messages: Sequence[Any]) -> tuple[str, list[_Turn], list[int]]:
    """(joined system prompt, merged turns, indices of non-empty system messages)."""
    sys_parts: list[str] = []
    sys_idx: list[int] = []
    turns: list[_Turn] = []
    prev = None
    for i, m in enumerate(messages):
        role, content = _role_content(m)
        if role == "system":
            if content:
                sys_parts.append(content)
                sys_idx.append(i)
        elif role == prev:
            turns[-1].idxs.append(i)
            if content:
                turns[-1].parts.append(content)
        else:
            turns.append(_Turn(role, [content] if content else [], [i]))
        prev = role
    system = sys_parts[0] if len(sys_parts) == 1 else JOIN.join(sys_parts)
    return system, turns, sys_idx


def _trailing_turn(turns: list[_Turn], n: int) -> int:
    """Index of the turn holding the last message if it is an assistant's (no </s>), else -1."""
    t = turns[-1]
    return len(turns) - 1 if t.role == "assistant" and t.idxs and t.idxs[-1] == n - 1 else -1


class _TemplateCounter:
    """The Mistral V3 template arithmetic on top of a per-segment count `_n`."""

    spec: TokenizerSpec
    exact: bool

    def count_text(self, text: str) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _n(self, text: str) -> int:
        return self.count_text(text) if text else 0

    def count_request(self, messages: Sequence[Any]) -> int:
        """Tokens Ollama evaluates for this /api/chat `messages` list (no reply reserve)."""
        return self.count_request_parts(messages).total if messages else 0

    def count_request_parts(self, messages: Sequence[Any]) -> RequestCount:
        """`count_request` attributed to the input messages, for a stacked gauge.

        The system text's share is encode(system + "\\n\\n"); merged messages get their own
        counts with the remainder on the last one. Only the sum is exact.
        """
        if not messages:
            return RequestCount(0, 0, [])
        system, turns, sys_idx = _aggregate(messages)
        per = [0] * len(messages)
        overhead = BOS
        if not turns or turns[0].role != "user":
            turns.insert(0, _Turn("user", [], []))
        last_user = max(k for k, t in enumerate(turns) if t.role == "user")
        final = _trailing_turn(turns, len(messages))
        for k, t in enumerate(turns):
            text = t.text
            if t.role == "user":
                if k == last_user and system:
                    full = self._n(system + JOIN + text)
                    share = min(full, self._n(system + JOIN))
                    self._spread(per, sys_idx, share, messages)
                    cost = INST + full - share + END_INST
                else:
                    cost = INST + self._n(text) + END_INST
            else:
                cost = self._n(text.rstrip(" ")) + (0 if k == final else EOS)
            if t.idxs:
                self._spread(per, t.idxs, cost, messages)
            else:
                overhead += cost
        return RequestCount(overhead + sum(per), overhead, per)

    def _spread(self, per: list[int], idxs: list[int], cost: int, messages: Sequence[Any]) -> None:
        for i in idxs[:-1]:
            per[i] = self._n(_role_content(messages[i])[1])
            cost -= per[i]
        per[idxs[-1]] = cost

    def suffix_counts(self, messages: Sequence[Any]) -> list[int]:
        """out[i] = count_request(system messages before i + messages[i:]), all i, in O(n).

        The shapes Ollama's truncation tries (server/prompt.go chatPrompt). The joined system
        prompt is the same for every suffix, so only the first (possibly partial) turn differs.
        """
        rc = [_role_content(m) for m in messages]
        if not rc:
            return []
        system = JOIN.join(c for r, c in rc if r == "system" and c)
        runs: list[list[Any]] = []  # [role, start, end); system runs only separate
        for i, (r, _) in enumerate(rc):
            if runs and runs[-1][0] == r:
                runs[-1][2] = i + 1
            else:
                runs.append([r, i, i + 1])
        final = len(runs) - 1 if runs[-1][0] == "assistant" else -1
        last_user = max((k for k, run in enumerate(runs) if run[0] == "user"), default=-1)

        def cost(k: int, start: int) -> int:
            role, _, end = runs[k]
            text = JOIN.join(c for _, c in rc[start:end] if c)
            if role == "user":
                if k == last_user and system:
                    text = system + JOIN + text
                return INST + self._n(text) + END_INST
            return self._n(text.rstrip(" ")) + (0 if k == final else EOS)

        m = len(runs)
        tail, first_role, has_user = [0] * (m + 1), [""] * (m + 1), [False] * (m + 1)
        for k in reversed(range(m)):
            role = runs[k][0]
            tail[k] = tail[k + 1] + (cost(k, runs[k][1]) if role != "system" else 0)
            first_role[k] = role if role != "system" else first_role[k + 1]
            has_user[k] = role == "user" or has_user[k + 1]
        empty_last_user = INST + END_INST + (self._n(system + JOIN) if system else 0)
        out: list[int] = []
        for k, (role, start, end) in enumerate(runs):
            for i in range(start, end):
                head = tail[k] if i == start or role == "system" else cost(k, i) + tail[k + 1]
                c = BOS + head
                if first_role[k] != "user":  # an empty user turn is inserted first
                    c += INST + END_INST if has_user[k] else empty_last_user
                out.append(c)
        return out


class TokenCounter(_TemplateCounter):
    """Exact counts with a mistral-common tokenizer, loaded lazily; per-segment LRU cache."""

    exact = True

    def __init__(self, spec: TokenizerSpec = TEKKEN, *, cache_size: int = 8192) -> None:
        if not spec.exact:
            raise ValueError(f"{spec.label} is not an exact tokenizer; use EstimateCounter")
        self.spec = spec
        self.mistral_tokenizer: Any = None  # MistralTokenizer, once loaded
        self._raw: Any = None  # str -> int
        self._load_lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = cache_size
        self._ready = False
        self.load_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self._ready

    def load(self) -> None:
        """Import mistral_common and load the tokenizer (blocking, ~1.3 s; idempotent)."""
        if self._ready:
            return
        with self._load_lock:
            if self._ready:
                return
            t0 = time.perf_counter()
            from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

            mt = MistralTokenizer.from_file(self.spec.path)
            inner = mt.instruct_tokenizer.tokenizer
            self._raw = _raw_counter(inner, self.spec.kind)
            self.mistral_tokenizer = mt
            self.load_seconds = time.perf_counter() - t0
            self._ready = True

    def count_text(self, text: str) -> int:
        """Tokens of `text` alone, as one segment (no <s>/</s>). Loads on first use."""
        if not text:
            return 0
        if not self._ready:
            self.load()
        return self._raw(text)

    def _n(self, text: str) -> int:
        if not text:
            return 0
        key = (hash(text), len(text))
        with self._cache_lock:
            v = self._cache.get(key)
            if v is not None:
                self._cache.move_to_end(key)
                return v
        v = self.count_text(text)
        with self._cache_lock:
            self._cache[key] = v
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return v

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()


def _raw_counter(inner: Any, kind: str) -> Any:
    """The fastest exact `len(inner.encode(s, bos=False, eos=False))`."""
    model = getattr(inner, "_model", None)
    sample = "Hi there!\n  naïve 日本語 😀 [INST] x\n\n"

    def public(s: str) -> int:
        return len(inner.encode(s, bos=False, eos=False))

    if kind == "tekken" and hasattr(model, "encode_ordinary"):
        # Tekken keeps special tokens out of tiktoken, so encode == encode_ordinary (3x faster).
        enc = model.encode_ordinary
        if len(enc(sample)) == public(sample):
            return lambda s: len(enc(s))
    if kind == "spm_v3" and hasattr(model, "encode") and hasattr(model, "id_to_piece"):
        pieces = [model.id_to_piece(i) for i in range(model.get_piece_size())]
        if not any("\n" in p for p in pieces):
            return _sp_chunked(model, words=not any("▁" in p.lstrip("▁") for p in pieces))
    return public


_SP_SPACE = re.compile(r"[A-Za-z0-9] (?=[A-Za-z0-9])")


def _sp_chunked(model: Any, words: bool) -> Any:
    """SentencePiece count that encodes long text in chunks (it is superlinear, ~3 MB/s whole).

    Exact splits: before a "\n" (no piece contains "\n", so nothing merges across it; the
    next chunk's dummy-prefix "▁" is one extra token), or after the space in "a b" (pieces
    start at "▁" when `words`: "a▁" | "b" gives "a", "▁" | "▁b", one extra). The extras are
    measured here, not assumed; tests compare with whole-text encoding on megabytes of text.
    """
    nl_extra = len(model.encode("\n")) - 1
    sp_extra = len(model.encode("a ")) + len(model.encode("b")) - len(model.encode("a b"))
    threads = max(1, min(4, os.cpu_count() or 1))
    window = 8 * _SP_CHUNK

    def count(s: str) -> int:
        if len(s) <= _SP_CHUNK:
            return len(model.encode(s))
        chunks, extra, start = [], 0, 0
        while len(s) - start > _SP_CHUNK:
            lo = start + _SP_CHUNK
            cut = s.find("\n", lo, lo + window)
            if cut >= 0:
                extra += nl_extra
            elif words and (m := _SP_SPACE.search(s, lo, lo + window)):
                cut, extra = m.end(), extra + sp_extra
            elif (cut := s.find("\n", lo)) >= 0:
                extra += nl_extra
            else:
                break
            chunks.append(s[start:cut])
            start = cut
        chunks.append(s[start:])
        if len(chunks) == 1:
            return len(model.encode(s))
        return sum(map(len, model.encode(chunks, num_threads=threads))) - extra

    return count


class EstimateCounter(_TemplateCounter):
    """Same interface for models without a known tokenizer; `exact` is False."""

    exact = False
    ready = True

    def __init__(self, spec: TokenizerSpec | None = None, *, bytes_per_token: float = 4.0):
        self.spec = spec or _estimate("estimate")
        self.bytes_per_token = bytes_per_token

    def load(self) -> None:
        return None

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        n = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        return math.ceil(n / self.bytes_per_token)


AnyCounter = TokenCounter | EstimateCounter
_SHARED: dict[str, AnyCounter] = {}
_SHARED_LOCK = threading.Lock()


def counter_for(model_name: str, family: str | None = None) -> AnyCounter:
    """A process-wide counter for the model's tokenizer (not loaded yet: call `.load()`)."""
    spec = tokenizer_for(model_name, family)
    if not spec.exact:
        return EstimateCounter(spec)
    with _SHARED_LOCK:
        if spec.kind not in _SHARED:
            _SHARED[spec.kind] = TokenCounter(spec)
        return _SHARED[spec.kind]
