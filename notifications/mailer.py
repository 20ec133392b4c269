"""The mailer: sends queued emails over SMTP (or, embedded, to .eml files), retrying with backoff.

A failing SMTP server delays mail but never the inbox, which is filled by the consumer; each
delivery is retried on its own schedule and, after the last attempt, marked failed for people to see.
A delivery is `pending`, `sending` (claimed by a mailer), `sent` or `failed`.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from notifications.models import EmailDelivery, ErasedMail
from shared.config import Settings
from shared.db import Database, is_database_outage, utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10
MAX_BACKOFF_SECONDS = 600


def message_id(notification_id: str) -> str:
    """The Message-ID of a notification's email: stable, so a resend after a crash can be recognised
    as the same message, and the mail file of an erased person's notification found."""
    return f"<notification.{notification_id}@course-exchange>"


def build_email(delivery: EmailDelivery, sender: str) -> EmailMessage:
    """Return the email of a delivery: plain text and HTML, headers encoded for any alphabet."""
    notification = delivery.notification
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = notification.subject
    message["From"] = sender
    message["To"] = formataddr((" ".join(delivery.to_name.split()), delivery.to_address))
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id(notification.id)
    message.set_content(notification.body)
    message.add_alternative(delivery.html, subtype="html")
    message["Content-Language"] = notification.locale  # after set_content, which clears Content-* headers
    return message


class SmtpTransport:
    """Hands messages to an SMTP server, one connection per sweep: in clear, after STARTTLS, or over
    TLS from the first byte, logging in when given a username; the server's certificate is verified."""

    def __init__(self, host: str, port: int, security: str = "none", username: str | None = None,
                 password: str | None = None):
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        self._smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def forget(self, message_id: str) -> None:
        """Nothing to remove: mail handed to an SMTP server is the recipient's (docs/privacy.md)."""

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the server went away; the connection is dropped either way
            self._smtp = None


class FolderTransport:
    """Writes each message as an .eml file (the embedded default has no SMTP server)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage) -> None:
        self._path(message["Message-ID"]).write_bytes(message.as_bytes(policy=email.policy.SMTPUTF8))

    def forget(self, message_id: str) -> None:
        """Remove the file of an email, if one was written (an erased person's)."""
        self._path(message_id).unlink(missing_ok=True)

    def _path(self, message_id: str) -> Path:
        return self.folder / f"{message_id.strip('<>').replace('@', '_')}.eml"

    def close(self) -> None:
        pass


def mail_transport(settings: Settings) -> SmtpTransport | FolderTransport:
    """SMTP when SMTP_HOST is set; otherwise .eml files under the data directory."""
    if settings.smtp_host:
        return SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_security,
                             settings.smtp_username, settings.smtp_password)
    return FolderTransport(settings.data_dir / "mail")


SENDING_LEASE = timedelta(minutes=5)
ERASED_MAIL_BATCH = 200
RECORD_PATIENCE_SECONDS = 120


class Mailer:
    """Sends due deliveries; a failure waits longer each time, up to `max_attempts` attempts.

    Each delivery is claimed in a short transaction of its own (status `sending` until the lease runs
    out), sent with no transaction open, and its outcome recorded afterwards, waiting out a database
    that went away meanwhile: a restarted database never makes an email go twice. Only a mailer that
    dies between the SMTP server's acceptance and the record leaves a claim whose lease runs out; the
    email is then sent again, with the same Message-ID, so mail programs show it once.
    """

    def __init__(self, db: Database, transport, sender: str, *, max_attempts: int = 8,
                 backoff_seconds: float = 5, batch_size: int = 20):
        self.db, self.transport, self.sender = db, transport, sender
        self.max_attempts, self.backoff_seconds, self.batch_size = max_attempts, backoff_seconds, batch_size

    def send_due(self) -> int:
        """Try each due delivery once; return how many were sent."""
        sent = 0
        try:
            self.remove_erased_mail()
            for _ in range(self.batch_size):
                claimed = self._claim()
                if claimed is None:
                    break
                delivery_id, message = claimed
                if message is not None:
                    sent += self._record(delivery_id, message["Message-ID"], self._send(message))
        finally:
            self.transport.close()
        return sent

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Send mail until `stop` is set."""
        while not stop.is_set():
            try:
                if self.send_due() < self.batch_size:
                    stop.wait(idle_seconds)
            except Exception:  # noqa: BLE001 - the database may be away; try again shortly
                log.exception("mailer sweep failed")
                stop.wait(idle_seconds * 5)

    def remove_erased_mail(self) -> int:
        """Remove the mail files of erased people's notifications; return how many were forgotten."""
        with self.db.transaction() as session:
            erased = session.scalars(select(ErasedMail).limit(ERASED_MAIL_BATCH)
                                     .with_for_update(skip_locked=True)).all()
            for row in erased:
                self.transport.forget(message_id(row.notification_id))
                session.delete(row)
            return len(erased)

    def _claim(self) -> tuple[int, EmailMessage | None] | None:
        """Take the next due delivery (or one whose sender's lease ran out) and build its email."""
        with self.db.transaction() as session:
            delivery = session.scalars(
                select(EmailDelivery).where(EmailDelivery.status.in_(("pending", "sending")),
                                            EmailDelivery.next_attempt_at <= utcnow())
                .order_by(EmailDelivery.next_attempt_at, EmailDelivery.id).limit(1)
                .with_for_update(skip_locked=True, of=EmailDelivery)).first()
            if delivery is None:
                return None
            delivery.attempts += 1
            try:
                message = build_email(delivery, self.sender)
            except Exception as exc:  # noqa: BLE001 - an email that cannot be written never will be
                delivery.status, delivery.last_error = "failed", f"cannot build the email: {exc!r}"[:2000]
                log.error("email %s cannot be built: %r", delivery.id, exc)
                return delivery.id, None
            delivery.status, delivery.next_attempt_at = "sending", utcnow() + SENDING_LEASE
            return delivery.id, message

    def _send(self, message: EmailMessage) -> Exception | None:
        """Hand the message to the transport; return what went wrong, if anything."""
        try:
            self.transport.send(message)
            return None
        except Exception as exc:  # noqa: BLE001 - SMTP trouble, or a refusal of this one message
            self.transport.close()
            return exc

    def _record(self, delivery_id: int, sent_message_id: str, error: Exception | None) -> int:
        """Record the outcome of a send, waiting out a database that cannot answer; 1 if sent."""
        deadline = time.monotonic() + RECORD_PATIENCE_SECONDS
        while True:
            try:
                with self.db.transaction() as session:
                    delivery = session.get(EmailDelivery, delivery_id)
                    if delivery is None:  # its person was erased while it was on its way
                        self.transport.forget(sent_message_id)
                        return 0
                    self._apply_outcome(delivery, error)
                return 0 if error else 1
            except DBAPIError as exc:
                if not is_database_outage(exc) or time.monotonic() > deadline:
                    raise
                log.warning("cannot record email %s yet, the database is away: %r", delivery_id, exc)
                time.sleep(1)

    def _apply_outcome(self, delivery: EmailDelivery, error: Exception | None) -> None:
        if error is None:
            delivery.status, delivery.sent_at, delivery.last_error = "sent", utcnow(), None
            return
        delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= self.max_attempts:
            delivery.status = "failed"
            log.error("giving up on email %s to %s: %s", delivery.id, delivery.to_address, delivery.last_error)
        else:
            delay = min(self.backoff_seconds * 2 ** (delivery.attempts - 1), MAX_BACKOFF_SECONDS)
            delivery.status, delivery.next_attempt_at = "pending", utcnow() + timedelta(seconds=delay)
            log.warning("email %s not sent (attempt %d), retrying in %.0fs: %s", delivery.id,
                        delivery.attempts, delay, delivery.last_error)
