"""`ledgerbridge` command line (serve, worker, migrate, keys): arriving with the engine."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("ledgerbridge: the sync engine is under construction; see README.md", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
