"""Tapis Workflows' execution context API, served by Cairn's own (cairn_context)."""

from cairn_context import get_input, set_output, stderr, stdout

__all__ = ["get_input", "set_output", "stdout", "stderr"]
