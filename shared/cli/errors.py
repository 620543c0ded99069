"""One line per failure, like kubectl: tracebacks are for bugs, and only when asked for.

Expected failures (an unreachable server, a Status from it, bad input, a missing file)
print one line and exit 1. Anything else is a bug: one line naming it, and with
`NAVARCH_DEBUG=1` the whole traceback.
"""

import os

from pydantic import ValidationError

from shared.cli.client import ApiError, UnknownResourceError
from shared.cli.transport_errors import ServerUnreachable

DEBUG_ENV = "NAVARCH_DEBUG"
EXPECTED_ERRORS = (ServerUnreachable, ApiError, UnknownResourceError, ValueError, OSError)


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "false", "no")


def _validation_line(error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or error.title}: {item['msg']}"
        for item in error.errors()
    )
    return f"error: invalid configuration: {problems}"


def error_line(error: BaseException) -> str:
    """What the user sees for `error`, on one line."""
    if isinstance(error, ServerUnreachable | ApiError):
        return str(error)
    if isinstance(error, ValidationError):
        return _validation_line(error)
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"error: {error.filename}: {error.strerror.lower()}"
    if isinstance(error, EXPECTED_ERRORS):
        return f"error: {' '.join(str(error).split())}"
    message = " ".join(str(error).split())
    return (
        f"error: unexpected {type(error).__name__}: {message} (set {DEBUG_ENV}=1 for the traceback)"
    )


def is_expected(error: BaseException) -> bool:
    return isinstance(error, EXPECTED_ERRORS)
