"""python -m ai_worker: score committed transactions until stopped (Ctrl-C, SIGTERM).

    python -m ai_worker [--batch-size N] [--once] [--backfill] [--database-url URL]

--once scores one batch and exits; --backfill scores everything not yet scored, with a
progress bar, and exits. It logs in as bank_worker (BANK_WORKER_DB_PASSWORD) on the server
of --database-url, or of BANK_DATABASE_URL (else the private server) and BANK_DB_NAME.
The other settings are the
BANK_WORKER_* ones of api/config.py.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from tqdm import tqdm

from ai_worker.worker import RiskWorker
from api.config import DatabaseAddress, get_settings
from scripts.db_connection import connect, tuple_cursor
from scripts.dbserver import resolve_admin_url

UNSCORED = (
    "SELECT COUNT(*) FROM transactions t WHERE t.status IN ('completed', 'reversed')"
    " AND t.type IN ('deposit', 'withdrawal', 'transfer', 'bill_payment')"
    " AND NOT EXISTS (SELECT 1 FROM transaction_risk_scores s WHERE s.transaction_id = t.id)"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, help="transactions per claim"
                        " (default BANK_WORKER_BATCH_SIZE)")
    parser.add_argument("--once", action="store_true", help="score one batch, then exit")
    parser.add_argument("--backfill", action="store_true",
                        help="score everything not yet scored, with a progress bar, then exit")
    parser.add_argument("--database-url", help="the server (default BANK_DATABASE_URL);"
                        " the worker logs in as bank_worker")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.batch_size is not None and not 1 <= args.batch_size <= 50_000:
        parser.error("--batch-size must be between 1 and 50000")
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.database_url:
        server = DatabaseAddress.from_url(args.database_url)
    else:  # BANK_DATABASE_URL, else the private server under .run/ (started if need be)
        server = DatabaseAddress.from_url(resolve_admin_url()).with_database(settings.db_name)
    address = server.as_role("bank_worker", settings.worker_db_password)
    worker = RiskWorker(settings, address, batch_size=args.batch_size)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    if args.backfill:
        conn = connect(address)
        try:
            with tuple_cursor(conn) as cur:
                cur.execute(UNSCORED)
                total = int(cur.fetchone()[0])
        finally:
            conn.close()
        with tqdm(total=total, unit="tx", desc="scoring", file=sys.stderr) as bar:
            scored = worker.run(stop, backfill=True, progress=bar.update)
    else:
        logging.getLogger("ai_worker").info("scoring as %s on %s:%s/%s", address.user,
                                            address.host, address.port, address.database)
        scored = worker.run(stop, once=args.once)
    worker.close()
    logging.getLogger("ai_worker").info("scored %d transaction(s)", scored)
    return 0


if __name__ == "__main__":
    sys.exit(main())
