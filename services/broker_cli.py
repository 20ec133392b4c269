"""What `python -m services broker …` prints."""

from __future__ import annotations

import argparse
import sys

from services import broker
from shared.config import ConfigError, Settings
from shared.messaging.topology import Topology


def run_broker_command(args: argparse.Namespace) -> int:
    """Run one broker command against AMQP_URL and print its answer; 1 when something is wrong."""
    settings = Settings.from_env("catalogue")
    if settings.uses_embedded_broker:
        raise ConfigError("the broker tool talks to RabbitMQ: set AMQP_URL (the embedded broker has no tool)")
    url, topology = settings.amqp_url, Topology.of(settings)
    if args.broker_command == "check":
        problems = broker.check(url, topology)
        print("\n".join(problems) if problems else "topology as declared")
        return 1 if problems else 0
    if args.broker_command == "queues":
        print(f"{'queue':<32} {'messages':>9} {'consumers':>10}")
        for name, messages, consumers in broker.queue_depths(url, topology):
            print(f"{name:<32} {'missing' if messages is None else messages:>9} {consumers if consumers is not None else '':>10}")
        return 0
    return _dead_letter_command(args, url)


def _dead_letter_command(args: argparse.Namespace, url: str) -> int:
    if args.dlq_command == "list":
        letters = broker.dead_letters(url)
        print(f"{'service':<14} {'message id':<36} {'type':<30} {'att':>3}  reason")
        for letter in letters:
            print(letter.summary())
        print(f"{len(letters)} dead letter(s)")
        return 0
    if args.dlq_command == "show":
        letter = broker.show(url, args.id)
        if letter is None:
            print(f"no dead letter {args.id}", file=sys.stderr)
            return 1
        print(broker.describe(letter))
        return 0
    if args.dlq_command == "replay":
        count = broker.replay(url, None if args.all else args.id)
        print(f"replayed {count} dead letter(s)")
        return 0 if count or args.all else 1
    if args.dlq_command == "scrub":
        scrubbed = broker.scrub(url, args.person)
        print(f"dropped {scrubbed.dropped} dead letter(s) naming the person")
        if scrubbed.erasures_kept:
            print(f"kept {scrubbed.erasures_kept} dead-lettered erasure request(s) naming them: replay "
                  "them (dlq replay), or the erasure stays undone in that service", file=sys.stderr)
        return 1 if scrubbed.erasures_kept else 0
    print(f"purged {broker.purge(url)} dead letter(s)")
    return 0
