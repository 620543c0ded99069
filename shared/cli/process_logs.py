"""What a supervised process said last: the lines `navarch up` shows when it fails.

Services log JSON lines; a crash ends with a plain Python traceback. The lines worth
showing are the plain ones and the JSON errors, not the routine INFO lines around them.
"""

import json
from pathlib import Path

ERROR_LEVELS = {"ERROR", "CRITICAL"}
MAX_LINE_CHARS = 400


def _is_error(line: str) -> bool:
    if not line.startswith("{"):
        return True
    try:
        entry = json.loads(line)
    except ValueError:
        return True
    return isinstance(entry, dict) and str(entry.get("level", "")).upper() in ERROR_LEVELS


def error_lines(text: str, *, limit: int = 8) -> list[str]:
    """The last `limit` error lines of a log, or its last lines when none is an error."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if _is_error(line)] or lines
    return [line[:MAX_LINE_CHARS] for line in errors[-limit:]]


def read_from(path: Path, offset: int) -> str:
    """The log written since `offset` (one run of the process), '' when there is none."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
