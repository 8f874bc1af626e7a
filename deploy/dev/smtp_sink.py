"""An SMTP sink for development and tests: accepts every message on loopback
and shows what it received over HTTP.

    GET /            the messages, newest first, as a page
    GET /messages    the same as JSON: [{id, from, to, subject, reply_to, date, text, html}]
    DELETE /messages forget them all

Kratos' courier sends verification and recovery mail here; end-to-end tests
read it back through the JSON API.
"""

import argparse
import asyncio
import email
import email.policy
import html
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

MESSAGES = []
LOCK = threading.Lock()
IDS = itertools.count(1)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
        record = {
            "id": next(IDS),
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "reply_to": str(message.get("Reply-To", "")),
            "date": str(message.get("Date", "")),
            "text": text.get_content() if text else "",
            "html": rich.get_content() if rich else "",
        }
        with LOCK:
            MESSAGES.append(record)
        print(f"received mail {record['id']} to {record['to']}: {record['subject']}", flush=True)
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def _send(self, status, body, content_type):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with LOCK:
            messages = list(reversed(MESSAGES))
        if self.path.split("?")[0] == "/messages":
            self._send(200, json.dumps(messages), "application/json")
        elif self.path == "/":
            rows = "".join(
                f"<li><strong>{html.escape(m['subject'])}</strong> to {html.escape(', '.join(m['to']))}"
                f"<pre>{html.escape(m['text'])}</pre></li>"
                for m in messages
            ) or "<li>No mail yet.</li>"
            page = f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Mail sink</title><h1>Mail sink</h1><ul>{rows}</ul>"
            self._send(200, page, "text/html; charset=utf-8")
        else:
            self._send(404, '{"error":"not found"}', "application/json")

    def do_DELETE(self):
        if self.path == "/messages":
            with LOCK:
                MESSAGES.clear()
            self._send(204, "", "application/json")
        else:
            self._send(404, '{"error":"not found"}', "application/json")

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    http_server = ThreadingHTTPServer(("127.0.0.1", args.http_port), Api)
    print(f"SMTP on 127.0.0.1:{args.smtp_port}, messages on http://127.0.0.1:{args.http_port}/", flush=True)
    try:
        http_server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
