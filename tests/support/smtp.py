"""A real SMTP server for tests that read the emails sent."""

from __future__ import annotations


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on a local port that keeps what it receives."""

    def __init__(self):
        self.messages: list = []
        self.port = None
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self, port: int | None = None) -> "SmtpInbox":
        from aiosmtpd.controller import Controller

        from tests.support.servers import free_port

        self.port = port or self.port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
