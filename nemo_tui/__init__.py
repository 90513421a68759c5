"""nemo-tui: a terminal chat app for Ollama, built around Mistral Nemo."""

__version__ = "0.1.0"
