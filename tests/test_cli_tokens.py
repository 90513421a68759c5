"""`nemo-tui tokens`: exact counts and fit, with no Ollama running."""

from __future__ import annotations

import subprocess
import sys

from nemo_tui.core.tokens import counter_for


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "nemo_tui", "tokens", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_counts_files_and_exit_status(tmp_path):
    (tmp_path / "a.txt").write_text("Hello world, this is a file.\n")
    (tmp_path / "b.md").write_text("# Titre\n\nUn document en français.\n")
    fits = run(["a.txt", "b.md", "--num-ctx", "8k"], tmp_path)
    assert fits.returncode == 0, fits.stderr
    counter = counter_for("mistral-nemo")
    counter.load()
    from nemo_tui.core.attachments import collect

    result = collect(["a.txt"], tmp_path)
    expected = counter.count_text(result.attachments[0].render())
    assert f"a.txt  {expected:>10,}" in fits.stdout
    assert "Tekken (exact)" in fits.stdout and "fits:" in fits.stdout
    too_small = run(["a.txt", "b.md", "--num-ctx", "1024"], tmp_path)
    assert too_small.returncode == 1 and "does NOT fit" in too_small.stdout


def test_other_model_is_estimate_and_errors(tmp_path):
    (tmp_path / "a.txt").write_text("Hello\n")
    estimate = run(["a.txt", "--model", "llama3"], tmp_path)
    assert estimate.returncode == 0 and "≈" in estimate.stdout and "estimate" in estimate.stdout
    missing = run(["nope.txt"], tmp_path)
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
    bad = run(["a.txt", "--num-ctx", "lots"], tmp_path)
    assert bad.returncode == 2 and "--num-ctx" in bad.stderr
