"""Run enrolment's offer sweeper, SIGKILLed inside its N-th expiry: the offer is expired and the seat offered
to the next in line, with their events, but nothing is committed yet.

Usage: python -m tests.kill_sweeper_mid_sweep DATABASE_URL NOW N
"""

import os
import signal
import sys
from datetime import datetime

from enrolment import offers
from shared.db import Database

if __name__ == "__main__":
    database_url, now, kill_at = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
    expire_offer, expiries = offers.expire_offer, []

    def expire_then_die_on_the_nth(session, enrolment_id, at):
        expired = expire_offer(session, enrolment_id, at)
        expiries.append(enrolment_id)
        if len(expiries) == kill_at:
            session.flush()  # the database holds the uncommitted changes and the offering's lock
            os.kill(os.getpid(), signal.SIGKILL)
        return expired

    offers.expire_offer = expire_then_die_on_the_nth
    offers.sweep_offers(Database(database_url), now=now)
    sys.exit("the sweeper should have been killed")
