"""Run the notification service's consumer, SIGKILLed in the middle of handling an erasure: after
its handler did all its work, before the transaction commits.

Usage: python tests/kill_consumer_mid_erasure.py DATABASE_URL AMQP_URL RETRY_DELAY_MS
"""

import os
import signal
import sys
import threading
from pathlib import Path

from notifications.privacy import on_erasure_requested
from services.registry import consumer_handlers
from shared import events
from shared.config import Settings
from shared.db import Database
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import Topology


def erase_then_die(session, event):
    on_erasure_requested(session, event)
    session.flush()  # every statement of the erasure has run; only the commit is missing
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    database_url, amqp_url, retry_delay_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = Settings(service="notifications", data_dir=Path("."), database_url=database_url, amqp_url=amqp_url)
    handlers = {**consumer_handlers(settings), events.ERASURE_REQUESTED: erase_then_die}
    with connect(settings) as connection:
        EventConsumer("notifications", Database(database_url), connection, handlers, threading.Event(),
                      topology=Topology(retry_delay_ms=retry_delay_ms)).run()
    sys.exit("the consumer should have been killed")
