"""Compatibility with Tapis Workflows functions: `from owe_python_sdk.runtime import execution_context as ctx`."""
