"""The mailer on an SMTP relay that wants TLS and a login, as institutions' relays do: STARTTLS or TLS
from the first byte, the certificate verified, the password never sent in clear."""

import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.mailer import SmtpTransport
from shared.config import ConfigError, Settings
from tests.conftest import SmtpInbox
from tests.servers import free_port, self_signed_certificate


class Relay(SmtpInbox):
    """An SMTP relay that takes mail only from `mailer` / `s3cret`, over TLS."""

    def __init__(self, folder, implicit_tls: bool):
        super().__init__()
        chain = self_signed_certificate(folder)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(chain, folder / "privkey.pem")
        self.implicit_tls, self.logins = implicit_tls, []

    def authenticate(self, server, session, envelope, mechanism, data):
        self.logins.append(data.login)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s3cret")
        return AuthResult(success=ok)

    def start(self, port=None):
        self.port = free_port()
        # aiosmtpd counts only STARTTLS as TLS for AUTH; a TLS listener is TLS from the first byte anyway.
        tls = ({"ssl_context": self.context, "auth_require_tls": False} if self.implicit_tls
               else {"tls_context": self.context, "require_starttls": True, "auth_require_tls": True})
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, authenticator=self.authenticate,
                                     auth_required=True, **tls)
        self.controller.start()
        return self


def an_email():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "x@lumc-ssmu.invalid", "anna@ssmu.ru", "Место на курсе"
    message.set_content("Вы записаны.")
    return message


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd's view of a TLS listener
def test_the_mailer_logs_in_over_tls_and_verifies_the_relay(tmp_path, monkeypatch, security):
    relay = Relay(tmp_path, implicit_tls=security == "tls").start()
    try:
        transport = SmtpTransport("localhost", relay.port, security, "mailer", "s3cret")
        with pytest.raises(ssl.SSLCertVerificationError):  # a relay this machine does not trust
            transport.send(an_email())
        transport.close()
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "fullchain.pem"))
        transport.send(an_email())
        transport.close()
        assert [m["Subject"] for m in relay.messages] == ["Место на курсе"] and relay.logins[-1] == b"mailer"
    finally:
        relay.stop()


def test_a_relay_that_insists_on_a_login_refuses_mail_without_one(tmp_path, monkeypatch):
    import smtplib

    relay = Relay(tmp_path, implicit_tls=False).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "fullchain.pem"))
    try:
        with pytest.raises(smtplib.SMTPException):
            SmtpTransport("localhost", relay.port, "starttls").send(an_email())
        assert relay.messages == []
    finally:
        relay.stop()


@pytest.mark.parametrize(("env", "message"), [
    ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be one of none, starttls, tls"),
    ({"SMTP_USERNAME": "mailer"}, "SMTP_USERNAME and SMTP_PASSWORD go together"),
    ({"SMTP_USERNAME": "mailer", "SMTP_PASSWORD": "s3cret"}, "the password never travels in clear"),
])
def test_mail_settings_that_would_fail_or_leak_are_refused_at_start(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env("notifications", {"DATA_DIR": str(tmp_path), "SMTP_HOST": "smtp.lumc.nl", **env})
