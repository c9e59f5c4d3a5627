"""The real DC-09 transmitter on a real outbox, as its own process, for the kill -9 test.

``python -m tests.dc09.transmitter_process OUTBOX_DB STATE_DIR PORT``
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from firmware.uplink.dc09.sequence import SequenceCounter
from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings
from firmware.uplink.outbox import Outbox
from tests.dc09.support import ACCOUNT


def main(argv: list[str]) -> None:
    db, state, port = Path(argv[0]), Path(argv[1]), int(argv[2])
    outbox = Outbox(db, unit="unit-7")
    settings = LinkSettings(receivers=(("127.0.0.1", port),), account=ACCOUNT, ack_timeout_s=60.0, backoff_s=0.1)
    tx = Dc09Transmitter(outbox, settings, sequence=SequenceCounter(state / "dc09-sequence.json"))
    asyncio.run(tx.run())


if __name__ == "__main__":
    main(sys.argv[1:])
