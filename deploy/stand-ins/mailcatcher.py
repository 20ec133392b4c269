"""Keep every message received over SMTP (port 1025) and list them over HTTP (port 8025) the way
Mailpit's API does, for the containers tests on machines that reach no image registry."""

import email
import email.policy
import json
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

MESSAGES: list[dict] = []
LOCK = threading.Lock()


def addresses(header) -> list[dict]:
    return [{"Name": a.display_name, "Address": a.addr_spec} for a in (header.addresses if header else ())]


class Keeper:
    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        message = {
            "ID": uuid.uuid4().hex, "MessageID": parsed.get("Message-ID", ""),
            "From": (addresses(parsed["From"]) or [{}])[0], "To": addresses(parsed["To"]),
            "Subject": str(parsed.get("Subject", "")), "Created": datetime.now(timezone.utc).isoformat(),
            "Text": text.get_content() if text else "", "HTML": html.get_content() if html else "",
        }
        with LOCK:
            MESSAGES.append(message)
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        with LOCK:
            messages = list(reversed(MESSAGES))  # newest first, as Mailpit lists them
        if url.path == "/api/v1/messages":
            query = parse_qs(url.query)
            start, limit = int(query.get("start", ["0"])[0]), int(query.get("limit", ["50"])[0])
            summaries = [{k: v for k, v in m.items() if k not in ("Text", "HTML")} for m in messages]
            self.answer(200, {"total": len(messages), "messages_count": len(messages), "start": start,
                              "messages": summaries[start:start + limit]})
        elif url.path.startswith("/api/v1/message/"):
            found = [m for m in messages if m["ID"] == url.path.rsplit("/", 1)[1]]
            self.answer(200, found[0]) if found else self.answer(404, {"error": "not found"})
        else:
            self.answer(404, {"error": "not found"})

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    Controller(Keeper(), hostname="0.0.0.0", port=1025).start()
    ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
