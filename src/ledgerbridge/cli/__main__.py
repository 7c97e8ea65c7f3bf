"""`python -m ledgerbridge.cli`: the `ledgerbridge` command."""

import sys

from ledgerbridge.cli.app import main

sys.exit(main())
