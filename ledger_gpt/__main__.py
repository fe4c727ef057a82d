"""Entry point: `python -m ledger_gpt [question]`."""

import sys

from ledger_gpt.cli import main

sys.exit(main())
