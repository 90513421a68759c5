"""The Ollama stand-in, exercised with the real `ollama` client (never mocked)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import ollama
import pytest

from tests.standin import OllamaStandin, free_port, long_markdown_reply

USER = [{"role": "user", "content": "Say hello to the test suite"}]


@pytest.fixture
def standin():
    with OllamaStandin() as s:
        yield s


@pytest.fixture
async def client(standin):
    c = ollama.AsyncClient(host=standin.url)
    yield c
    await c.close()


@pytest.fixture
def sync_client(standin):
    c = ollama.Client(host=standin.url)
    yield c
    c.close()


async def collect(gen):
    return [part async for part in gen]


# -- plain endpoints -----------------------------------------------------------------------------

def test_root_version_and_unknown_path(standin):
    with httpx.Client(base_url=standin.url) as http:
        assert http.get("/").text == "Ollama is running"
        head = http.head("/")
        assert head.status_code == 200 and head.content == b""
        assert http.get("/api/version").json() == {"version": "0.12.6"}
        standin.version = "0.15.5"
        assert http.get("/api/version").json() == {"version": "0.15.5"}
        assert http.get("/api/nope").status_code == 404
        missing = http.post("/api/chat", json={"messages": USER})
        assert missing.status_code == 400 and missing.json() == {"error": "model is required"}
        garbage = http.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
        assert garbage.status_code == 400 and "error" in garbage.json()


async def test_list_tags(client, standin):
    models = {m.model: m for m in (await client.list()).models}
    assert set(models) == {"mistral-nemo:latest", "mistral:latest"}
    nemo = models["mistral-nemo:latest"]
    assert nemo.details.family == "llama"
    assert nemo.details.parameter_size == "12.2B"
    assert nemo.details.quantization_level == "Q4_K_M"
    assert 7.0e9 < nemo.size < 7.2e9
    assert models["mistral:latest"].details.parameter_size == "7.2B"

    standin.add_model("nemo-32k", base="mistral-nemo", num_ctx=32768)
    assert standin.remove_model("mistral")
    assert {m.model for m in (await client.list()).models} == {"mistral-nemo:latest", "nemo-32k:latest"}


async def test_show_model_info_and_parameters(client, standin):
    show = await client.show("mistral-nemo")  # resolves to mistral-nemo:latest
    info = show.modelinfo
    assert info["general.architecture"] == "llama"
    assert info["llama.context_length"] == 1024000
    assert info["llama.block_count"] == 40
    assert info["llama.attention.head_count_kv"] == 8
    assert info["llama.attention.key_length"] == info["llama.attention.value_length"] == 128
    assert info["llama.embedding_length"] == 5120
    assert show.details.parameter_size == "12.2B"
    assert "[INST]" in show.template and "FROM " in show.modelfile
    assert "completion" in show.capabilities
    lines = show.parameters.split("\n")
    assert lines == [f"{'stop':<30} \"[INST]\"", f"{'stop':<30} \"[/INST]\""]
    assert [ln.split(maxsplit=1) for ln in lines] == [["stop", '"[INST]"'], ["stop", '"[/INST]"']]

    standin.set_parameters("mistral-nemo:latest", num_ctx=32768, temperature=0.3)
    params = dict(ln.split(maxsplit=1) for ln in (await client.show("mistral-nemo")).parameters.split("\n"))
    assert params["num_ctx"] == "32768" and params["temperature"] == "0.3"

    mistral = (await client.show("mistral")).modelinfo
    assert (mistral["llama.context_length"], mistral["llama.block_count"], mistral["llama.embedding_length"]) == (
        32768, 32, 4096)

    with pytest.raises(ollama.ResponseError) as err:
        await client.show("llama3")
    assert err.value.status_code == 404 and err.value.error == "model 'llama3' not found"


async def test_ps_with_partial_gpu(client, standin):
    assert (await client.ps()).models == []
    standin.load("mistral-nemo", size_vram=5_000_000_000, context_length=32768)
    (model,) = (await client.ps()).models
    assert model.model == "mistral-nemo:latest"
    assert model.context_length == 32768
    assert model.size_vram == 5_000_000_000 < model.size
    assert model.expires_at is not None and model.details.family == "llama"
    standin.unload("mistral-nemo")
    assert (await client.ps()).models == []


# -- chat ------------------------------------------------------------------------------------------

async def test_chat_streams_text_and_final_metrics(client, standin):
    standin.reply_text = "Hello from the stand-in, chunk by chunk."
    parts = await collect(await client.chat("mistral-nemo", USER, stream=True, options={"num_ctx": 8192}))
    assert "".join(p.message.content for p in parts) == standin.reply_text
    assert len(parts) == -(-len(standin.reply_text) // 4) + 1  # 4-char chunks + the final line
    assert all(not p.done for p in parts[:-1]) and all(p.message.role == "assistant" for p in parts)
    final = parts[-1]
    assert final.done and final.done_reason == "stop" and final.message.content == ""
    assert final.eval_count == len(parts) - 1
    assert final.prompt_eval_count == 6  # words in the messages
    for metric in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(getattr(final, metric), int) and getattr(final, metric) > 0
    sent = standin.chat_requests[-1]
    assert sent["model"] == "mistral-nemo" and sent["stream"] is True
    assert sent["messages"] == USER and sent["options"] == {"num_ctx": 8192}
    # Ollama loads the model with the requested context
    assert [(m.model, m.context_length) for m in (await client.ps()).models] == [("mistral-nemo:latest", 8192)]


async def test_chat_reply_sources_and_metric_omission(client, standin):
    standin.reply_text = lambda req: "echo: " + req["messages"][-1]["content"]
    standin.prompt_eval_count = lambda req: 0  # zero-valued metrics are omitted
    parts = await collect(await client.chat("mistral-nemo:latest", USER, stream=True))
    assert "".join(p.message.content for p in parts) == "echo: " + USER[0]["content"]
    assert parts[-1].prompt_eval_count is None and parts[-1].prompt_eval_duration is None

    standin.chunks = ["Bon", "jour", " !"]
    parts = await collect(await client.chat("mistral-nemo", USER, stream=True))
    assert [p.message.content for p in parts[:-1]] == ["Bon", "jour", " !"]

    standin.reply_next(chunks=["one ", "two ", "three"])
    reply = await client.chat("mistral-nemo", USER, options={"num_predict": 2})
    assert reply.message.content == "one two " and reply.done_reason == "length"

    load = await client.chat("mistral-nemo", [])
    assert load.done_reason == "load" and load.message.content == ""


def test_sync_client_non_streamed_chat(standin, sync_client):
    client = sync_client
    reply = client.chat("mistral", USER)
    assert reply.done and reply.done_reason == "stop"
    assert reply.message.content == standin.reply_text
    assert reply.eval_count == -(-len(standin.reply_text) // 4)
    assert standin.chat_requests[-1]["stream"] is False
    with pytest.raises(ollama.ResponseError) as err:
        client.chat("nope", USER)
    assert err.value.status_code == 404


async def test_unknown_model_is_404(client, standin):
    with pytest.raises(ollama.ResponseError) as err:
        await collect(await client.chat("llama3:8b", USER, stream=True))
    assert err.value.status_code == 404
    assert err.value.error == "model 'llama3:8b' not found"


# -- faults ----------------------------------------------------------------------------------------

async def test_error_line_mid_stream(client, standin):
    standin.fail_next("error_line", after_chunks=3, message="llama runner process has terminated")
    got = []
    with pytest.raises(ollama.ResponseError) as err:
        async for part in await client.chat("mistral-nemo", USER, stream=True):
            got.append(part.message.content)
    assert len(got) == 3
    assert err.value.status_code == -1 and err.value.error == "llama runner process has terminated"
    # the fault was for one request only
    assert len(await collect(await client.chat("mistral-nemo", USER, stream=True))) > 3


async def test_drop_mid_stream(client, standin):
    standin.fail_next("drop", after_chunks=2)
    got = []
    with pytest.raises(httpx.RemoteProtocolError):
        async for part in await client.chat("mistral-nemo", USER, stream=True):
            got.append(part)
    assert len(got) == 2


async def test_status_faults(client, standin):
    standin.fail_next("status", status=500, message="boom")
    with pytest.raises(ollama.ResponseError) as err:
        await collect(await client.chat("mistral-nemo", USER, stream=True))
    assert (err.value.status_code, err.value.error) == (500, "boom")

    standin.fail_next("status", status=503, path="/api/tags")
    with pytest.raises(ollama.ResponseError) as err:
        await client.list()
    assert err.value.status_code == 503 and "server busy" in err.value.error
    assert len((await client.list()).models) == 2


async def test_pull_progress_then_model_is_listed(client, standin):
    parts = await collect(await client.pull("mistral:7b", stream=True))
    statuses = [p.status for p in parts]
    assert statuses[0] == "pulling manifest"
    assert statuses[-4:] == ["verifying sha256 digest", "writing manifest", "removing unused layers", "success"]
    blob = [p for p in parts if p.digest and p.total and p.total > 1e9]
    assert blob[0].status == f"pulling {blob[0].digest[7:19]}" and blob[0].digest.startswith("sha256:")
    assert [p.completed or 0 for p in blob] == sorted(p.completed or 0 for p in blob)
    assert blob[-1].completed == blob[-1].total
    assert "mistral:7b" in {m.model for m in (await client.list()).models}
    assert standin.requests[-2].json["model"] == "mistral:7b"


async def test_pull_unknown_fails_inside_the_stream(client, standin):
    got = []
    with pytest.raises(ollama.ResponseError) as err:
        async for part in await client.pull("no-such-model", stream=True):
            got.append(part.status)
    assert got == ["pulling manifest"]
    assert err.value.status_code == -1
    assert err.value.error == "pull model manifest: file does not exist"


# -- connection life ---------------------------------------------------------------------------

async def test_server_down_then_up_on_same_port():
    standin = OllamaStandin(port=free_port())
    client = ollama.AsyncClient(host=standin.url)
    gen = await client.chat("mistral-nemo", USER, stream=True)  # nothing raised yet
    with pytest.raises(httpx.ConnectError):
        await anext(gen)
    with pytest.raises(ConnectionError):
        await client.list()
    with standin:
        assert len((await client.list()).models) == 2
    await client.close()


def test_restart_on_same_port(standin, sync_client):
    client = sync_client
    port = standin.port
    assert client.chat("mistral-nemo", USER).done
    standin.stop()
    with pytest.raises(ConnectionError):
        client.list()
    standin.start()
    assert standin.port == port and standin.url == f"http://127.0.0.1:{port}"
    assert client.chat("mistral-nemo", USER).done


async def test_client_cancel_during_stall_is_seen_by_server(client, standin):
    standin.fail_next("stall", after_chunks=2)
    gen = await client.chat("mistral-nemo", USER, stream=True)
    assert [(await anext(gen)).done for _ in range(2)] == [False, False]
    t0 = time.monotonic()
    await gen.aclose()
    assert standin.wait_cancelled(timeout=1.0)
    assert time.monotonic() - t0 < 1.0
    assert standin.cancelled[0]["chunks_sent"] == 2 and standin.cancelled[0]["model"] == "mistral-nemo"


async def test_task_cancel_while_paced_is_seen_by_server(client, standin):
    standin.chunks_per_second = 20

    async def consume():
        async for _ in await client.chat("mistral-nemo", USER, stream=True):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert standin.wait_cancelled(timeout=1.0)


async def test_stop_does_not_hang_on_a_stalled_stream(client, standin):
    standin.fail_next("stall", after_chunks=1)
    gen = await client.chat("mistral-nemo", USER, stream=True)
    await anext(gen)
    t0 = time.monotonic()
    await asyncio.to_thread(standin.stop)
    assert time.monotonic() - t0 < 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        await anext(gen)
    assert standin.cancelled == []  # stopping the server is not a client cancel


# -- pacing ----------------------------------------------------------------------------------------

async def test_pacing_and_first_token_delay(client, standin):
    standin.first_token_delay = 0.3
    standin.chunks_per_second = 25
    standin.chunks = ["a", "b", "c", "d", "e", "f"]
    t0 = time.monotonic()
    stamps, final = [], None
    async for part in await client.chat("mistral-nemo", USER, stream=True):
        stamps.append(time.monotonic() - t0)
        final = part
    assert 0.28 <= stamps[0] < 1.5
    assert stamps[-2] - stamps[0] >= 5 / 25 * 0.9  # chunks arrive as they are produced
    assert final.eval_count == 6 and 0.15e9 < final.eval_duration < 1.5e9

    standin.first_token_delay, standin.chunks_per_second = 0.0, None
    standin.fail_next("slow_first", delay=0.25)
    t0 = time.monotonic()
    gen = await client.chat("mistral-nemo", USER, stream=True)
    await anext(gen)
    assert time.monotonic() - t0 >= 0.23
    await gen.aclose()


# -- long reply and CLI ------------------------------------------------------------------------

def test_long_markdown_reply_shape():
    chunks = long_markdown_reply()
    text = "".join(chunks)
    assert 1900 <= len(chunks) <= 2100
    assert sum(1 for ln in text.splitlines() if ln.startswith("- ")) == 50
    fence = text.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert len(fence.splitlines()) == 150
    assert text.count("\n\n") > 5  # normal paragraphs as well


async def test_long_reply_streams_through_client(client, standin):
    standin.chunks = long_markdown_reply()
    parts = await collect(await client.chat("mistral-nemo", USER, stream=True))
    assert "".join(p.message.content for p in parts) == "".join(standin.chunks)
    assert parts[-1].eval_count == len(standin.chunks)


def test_cli_serves_until_interrupted():
    port = free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", str(port), "--chunks-per-second", "1000"],
        cwd=root, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        client = ollama.Client(host=f"http://127.0.0.1:{port}")
        assert client.chat("mistral-nemo", USER).message.content
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()


def test_concurrent_requests_are_served(standin):
    standin.chunks_per_second = 40
    standin.chunks = ["x"] * 10  # 9 gaps of 25 ms: 0.225 s per reply
    results: list[str] = []

    def one():
        client = ollama.Client(host=standin.url)
        results.append(client.chat("mistral-nemo", USER).message.content)
        client.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert results == ["x" * 10] * 4
    assert time.monotonic() - t0 < 0.7  # in parallel, not one after another (0.9 s)
