"""Command line of the course exchange: run the system, its workers, migrations and tokens."""

from __future__ import annotations

import argparse
import sys

from shared.config import SERVICES, ConfigError, Settings
from shared.http.auth import INSTITUTIONS, LOCALES, ROLES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start all three services with their relays and consumers")
    for worker in ("relay", "consumer"):
        sub = commands.add_parser(worker, help=f"run one service's {worker}")
        sub.add_argument("service", choices=SERVICES)
    commands.add_parser("mailer", help="send the notification service's queued email")
    broker = commands.add_parser("broker", help="inspect RabbitMQ: topology, queues, dead letters (AMQP_URL)")
    broker_commands = broker.add_subparsers(dest="broker_command", required=True)
    broker_commands.add_parser("check", help="does the topology exist as declared?")
    broker_commands.add_parser("queues", help="depth and consumers of every queue")
    dlq = broker_commands.add_parser("dlq", help="the dead-letter queues").add_subparsers(dest="dlq_command",
                                                                                          required=True)
    dlq.add_parser("list", help="what was set aside, and why")
    dlq.add_parser("show", help="one dead letter in full").add_argument("id", help="message id")
    replay = dlq.add_parser("replay", help="send dead letters back to their work queue")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="message id")
    which.add_argument("--all", action="store_true", help="every dead letter")
    dlq.add_parser("purge", help="drop every dead letter").add_argument("--yes", action="store_true", required=True)
    dlq.add_parser("scrub", help="drop the dead letters naming an erased person").add_argument(
        "person", help="their id, or the subject hash of their erasure record")
    migrate = commands.add_parser("migrate", help="bring databases to the newest schema")
    migrate.add_argument("services", nargs="*", metavar="SERVICE",
                         help=f"services to migrate: {', '.join(SERVICES)} (default: all)")
    prune = commands.add_parser("prune", help="delete what has outlived its retention now (relays do it too)")
    prune.add_argument("services", nargs="*", metavar="SERVICE",
                       help=f"services to prune: {', '.join(SERVICES)} (default: all)")
    commands.add_parser("seed", help="seed an empty catalogue with the demo courses")
    commands.add_parser("asyncapi", help="write docs/asyncapi.json, the AsyncAPI document of the events")
    revision = commands.add_parser("makemigration", help="write a new migration from model changes")
    revision.add_argument("service", choices=SERVICES)
    revision.add_argument("message")
    token = commands.add_parser("token", help="mint a development JWT (signed with JWT_SECRET)")
    token.add_argument("--role", choices=ROLES, default="student")
    token.add_argument("--institution", choices=INSTITUTIONS, default="SSMU")
    token.add_argument("--sub", help="user id (default: <institution>-<role>)")
    token.add_argument("--name")
    token.add_argument("--email")
    token.add_argument("--locale", choices=LOCALES)
    token.add_argument("--hours", type=float, default=12)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from services.launcher import run_system

        return run_system()
    if args.command == "relay":
        from services.workers import run_relay

        run_relay(args.service)
    elif args.command == "consumer":
        from services.workers import run_consumer

        run_consumer(args.service)
    elif args.command == "broker":
        from services.broker_cli import run_broker_command

        return run_broker_command(args)
    elif args.command == "mailer":
        from services.workers import run_mailer

        run_mailer()
    elif args.command == "migrate":
        from shared.migrations import upgrade

        for service in args.services or SERVICES:
            upgrade(service, Settings.from_env(service).database_url)
    elif args.command == "prune":
        from services.workers import prune

        prune(args.services or list(SERVICES))
    elif args.command == "seed":
        from services.launcher import prepare

        prepare({service: Settings.from_env(service) for service in SERVICES})
    elif args.command == "asyncapi":
        from services.asyncapi import DOCUMENT_PATH, render

        DOCUMENT_PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {DOCUMENT_PATH}")
    elif args.command == "makemigration":
        from shared.migrations import make_revision

        make_revision(args.service, Settings.from_env(args.service).database_url, args.message)
    elif args.command == "token":
        from shared.http.demo_tokens import demo_token

        settings = Settings.from_env("catalogue")
        if settings.jwks_url:
            raise SystemExit("JWKS_URL is set: the services accept only the identity provider's tokens")
        try:
            print(demo_token(settings.jwt_secret, role=args.role, institution=args.institution, sub=args.sub,
                             name=args.name, email=args.email, locale=args.locale, hours=args.hours,
                             issuer=settings.jwt_issuer, audience=settings.jwt_audience))
        except ValueError as exc:  # claims the services would refuse, or a lifetime over the cap
            raise SystemExit(f"cannot mint that token: {exc}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
