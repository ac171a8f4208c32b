"""The execution context of a Cairn function task: read inputs, write outputs, end the task.

    from cairn_context import get_input, set_output, stdout

    name = get_input("name", "world")
    set_output("greeting", f"hello {name}")
    stdout("done")  # ends the task successfully

Inputs are files named after the input in $CAIRN_INPUTS_DIR (written by Cairn), with the
env var of the same name as a fallback; outputs are files in $CAIRN_OUTPUTS_DIR, which
Cairn collects after the task ends. Standard library only, so it works in any Python 3.
"""

import json
import os
import sys

__all__ = ["get_input", "set_output", "stdout", "stderr"]

_MISSING = object()


def get_input(name, default=_MISSING):
    """The value of input `name`: its file, else its env var, else `default`; KeyError without one."""
    inputs_dir = os.environ.get("CAIRN_INPUTS_DIR")
    if inputs_dir:
        path = os.path.join(inputs_dir, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    if name in os.environ:
        return os.environ[name]
    if default is not _MISSING:
        return default
    raise KeyError(f"input '{name}' was not given to this task (no file in CAIRN_INPUTS_DIR, no env var)")


def set_output(name, value):
    """Writes output `name`. Strings are written as they are; anything else as JSON."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"output name '{name}' is not a plain file name")
    outputs_dir = os.environ.get("CAIRN_OUTPUTS_DIR")
    if not outputs_dir:
        raise RuntimeError("CAIRN_OUTPUTS_DIR is not set: is this running as a Cairn task?")
    text = value if isinstance(value, str) else json.dumps(value)
    with open(os.path.join(outputs_dir, name), "w", encoding="utf-8") as f:
        f.write(text)


def stdout(message):
    """Prints `message` and ends the task successfully (exit code 0)."""
    print(message, flush=True)
    sys.exit(0)


def stderr(code, message):
    """Prints `message` to stderr and ends the task with exit code `code` (a failure unless 0)."""
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)
