"""What `isadex` may write to a stream: colour and cursor codes only to a terminal, and never
when NO_COLOR is set (https://no-color.org); a file or a pipe gets plain lines."""

from __future__ import annotations

import os
from typing import TextIO

# The attribute of a log record that is the ingest step's line for one delivery, (transfer id,
# status, reason): `isadex run` shows each as it is registered (progress.py).
TRANSFER_RECORD = "isadex_transfer"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def colour_allowed(stream: TextIO) -> bool:
    return is_terminal(stream) and not os.environ.get("NO_COLOR")
