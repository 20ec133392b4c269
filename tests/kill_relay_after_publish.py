"""Run a relay that is SIGKILLed right after the broker confirms its first N publishes, before it marks.

Usage: python tests/kill_relay_after_publish.py DATABASE_URL AMQP_URL N RETRY_DELAY_MS
"""

import os
import signal
import sys
from pathlib import Path

from shared.config import Settings
from shared.db import Database
from shared.messaging.connection import connect
from shared.messaging.relay import Relay
from shared.messaging.topology import Topology


class RelayKilledAfterPublishing(Relay):
    """Publishes one batch of N, confirmed by the broker, and dies before marking it."""

    def _publish(self, publisher, rows):
        answer = super()._publish(publisher, rows)
        if len(answer.confirmed) == self.batch_size:
            os.kill(os.getpid(), signal.SIGKILL)
        return answer


if __name__ == "__main__":
    database_url, amqp_url, kill_after, retry_delay_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    settings = Settings(service="catalogue", data_dir=Path("."), database_url=database_url, amqp_url=amqp_url)
    RelayKilledAfterPublishing(Database(settings.database_url), connect(settings), service="catalogue",
                               topology=Topology(retry_delay_ms=retry_delay_ms),
                               batch_size=kill_after).publish_pending()
    sys.exit("the relay should have been killed")
