"""Files and directories ledgerbridge makes, readable and writable by their owner only.

The data directory holds the development key, the dashboard's session key, the emulator app's
credentials, the demo's logs and, on SQLite, the database (encrypted tokens and events
secrets, password hashes, every record). Made with the process's umask they came out 0644 and
0755: readable by every account of the machine. Everything here is created 0600 (directories
0700) from the start, with no moment when it is readable by others (the mode is given to
`open`, not set afterwards); a file that already exists with wider permissions is narrowed.
The database file itself is made the same way by `storage.db`.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["DIR_MODE", "FILE_MODE", "open_private", "private_dir", "write_private"]

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """`path` as a directory, made 0700 if it did not exist (an existing one is left as the
    operator made it: it may be shared on purpose; what ledgerbridge writes in it is 0600)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def open_private(path: Path) -> BinaryIO:
    """`path` opened for writing from the start (created 0600, emptied, narrowed if wider)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
        if mode & ~FILE_MODE:
            os.fchmod(descriptor, FILE_MODE)
            log.warning("%s was readable by others (%o): made owner-only", path, mode)
        return os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, owner-only (see `open_private`)."""
    with open_private(path) as file:
        file.write(text.encode())
