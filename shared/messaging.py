"""Broker connections: RabbitMQ with publisher confirms, or kombu's embedded filesystem transport."""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu import Connection, Producer
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

from shared.config import Settings
from shared.topology import Topology

HEARTBEAT_SECONDS = 20


class FolderChannel(filesystem.Channel):
    """kombu's filesystem channel, whose messages appear whole.

    The stock channel creates the message file and then writes it: a consumer polling meanwhile takes the
    empty file, fails to parse it (the consumer process dies) and deletes it (the message is lost). Here
    each message is written under a name no consumer looks at and renamed into place, atomically.
    """

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f"{name}.partial")
        with open(partial, "wb") as file:
            file.write(str_to_bytes(dumps(payload)))
        os.replace(partial, os.path.join(self.data_folder_out, name))


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
    connection.ensure_connection(max_retries=3)
    channel = connection.channel()
    topology.declare(channel)
    return Producer(channel, **producer_options)
