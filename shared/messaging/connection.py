"""Broker connections: RabbitMQ with publisher confirms, or kombu's embedded filesystem transport."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from time import monotonic

from kombu import Connection, Producer
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

from shared.config import Settings
from shared.messaging.topology import Topology

HEARTBEAT_SECONDS = 20


class FolderChannel(filesystem.Channel):
    """kombu's filesystem channel, whose files appear whole.

    The stock channel creates a message file and then writes it: a consumer polling meanwhile takes the
    empty file, fails to parse it (the consumer process dies) and deletes it (the message is lost). It
    also truncates an exchange's binding table before locking it: a process declaring the topology at
    the same moment read an empty table (its JSON error killed it) or wrote over another's binding
    (messages to that queue were dropped as unroutable). Here every file is written under a name no one
    reads and renamed into place, atomically, and a binding table changes under a lock of its own.
    """

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        write_whole(os.path.join(self.data_folder_out, name), dumps(payload))

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._change_table(exchange, lambda table: table if binding in table else [binding, *table])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._change_table(exchange, lambda table: [entry for entry in table if entry != binding])

    def _change_table(self, exchange, change: Callable[[list], list]) -> None:
        table_file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        with open(table_file.with_suffix(".lock"), "a") as guard:
            filesystem.lock(guard, filesystem.LOCK_EX)
            try:
                table = self.get_table(exchange)
                changed = change(table)
                if changed != table:
                    write_whole(str(table_file), dumps(changed))
            finally:
                filesystem.unlock(guard)


def write_whole(path: str, text: str) -> None:
    """Write the file under a temporary name and rename it into place, so no reader sees it partly written."""
    partial = f"{path}.partial"
    with open(partial, "wb") as file:
        file.write(str_to_bytes(text))
    os.replace(partial, path)


class FolderTransport(filesystem.Transport):
    """kombu's filesystem transport with whole messages, remembering declared bindings per connection.

    The stock transport caches bindings for the whole process, so a process that declares
    the topology for a second data directory (tests do) would skip writing its control folder
    and every message published there would be dropped as unroutable.
    """

    Channel = FolderChannel

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self.state = virtual.BrokerState()


def broker_folders(settings: Settings) -> dict[str, str]:
    """Return the folders of the embedded transport, created under the data directory."""
    base = settings.data_dir / "broker"
    folders = {"data_folder_in": base / "messages", "data_folder_out": base / "messages",
               "control_folder": base / "control"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(folder) for name, folder in folders.items()}


def connect(settings: Settings) -> Connection:
    """Return a (lazy) connection to the configured broker."""
    if settings.uses_embedded_broker:
        # The embedded transport is polled; a short interval keeps the event flow snappy.
        options = {**broker_folders(settings), "polling_interval": 0.1}
        return Connection(hostname="localhost", transport=FolderTransport, transport_options=options)
    return Connection(
        settings.amqp_url,
        heartbeat=HEARTBEAT_SECONDS,
        connect_timeout=5,
        transport_options={"confirm_publish": True},
    )


def topology_producer(connection: Connection, topology: Topology, **producer_options) -> Producer:
    """Connect (a few tries, no more), declare the whole topology and return a producer on a new channel."""
    # Briefly: the callers back off themselves, and stop while they wait; kombu's default waits (2, 4 and
    # 6 s) kept a relay asked to stop while the broker was down busy for twelve seconds.
    connection.ensure_connection(max_retries=2, interval_start=0.2, interval_step=0.4, interval_max=1)
    channel = connection.channel()
    topology.declare(channel)
    return Producer(channel, **producer_options)
