"""Run a service's web app under gunicorn for tests that need real processes and real concurrency."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from services.launcher import GUNICORN_CONFIG
from services.registry import app_factory_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(service: str, env: dict[str, str], log_dir: Path, workers: int = 4) -> Iterator[str]:
    """Start `service` under gunicorn with `workers` workers; yield its base URL."""
    port = free_port()
    log = open(log_dir / f"{service}-gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}",
         app_factory_path(service)],
        env={**os.environ, "WEB_CONCURRENCY": str(workers), "GUNICORN_ACCESS_LOG": "0", **env},
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/ready", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((log_dir / f"{service}-gunicorn.log").read_text()[-3000:])
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


# Where the outer environment may point the system elsewhere; a test's system starts from its own.
OUTER_VARIABLES = ("AMQP_URL", "CATALOGUE_DATABASE_URL", "ENROLMENT_DATABASE_URL", "NOTIFICATIONS_DATABASE_URL",
                   "CATALOGUE_URL", "ENROLMENT_URL", "NOTIFICATIONS_URL")
PARTS = ("catalogue", "enrolment", "notifications", "web")


@contextmanager
def running_system(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[dict]:
    """Run `python -m services run` (the embedded default unless `env` names the real parts) on free
    ports; yield each part's base URL (the three services and the web front end), the banner, the
    process and its environment."""
    ports = {part: free_port() for part in PARTS}
    full_env = {name: value for name, value in os.environ.items() if name not in OUTER_VARIABLES}
    full_env.update({"DATA_DIR": str(data_dir), "WEB_CONCURRENCY": "1", "GUNICORN_ACCESS_LOG": "0",
                     **{f"{part.upper()}_PORT": str(port) for part, port in ports.items()}, **(env or {})})
    log_path = data_dir / "system.log"
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "services", "run"], env=full_env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    banner = []
    try:
        for line in process.stdout:
            banner.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        if process.poll() is not None:
            raise RuntimeError(log_path.read_text()[-3000:])
        yield {**{part: f"http://127.0.0.1:{port}" for part, port in ports.items()},
               "banner": "".join(banner), "process": process, "env": full_env}
    finally:
        if process.poll() is not None:  # it died under the test: its log says why
            print(f"the system exited with status {process.returncode}:\n{log_path.read_text()[-6000:]}",
                  file=sys.stderr)
        else:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        log.close()


def self_signed_certificate(folder: Path) -> Path:
    """Write fullchain.pem and privkey.pem for localhost and 127.0.0.1 into `folder`; return the chain's path."""
    import ipaddress
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(days=1)).add_extension(names, critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    chain = folder / "fullchain.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    return chain
