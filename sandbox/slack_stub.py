"""A local stand-in for a Slack incoming webhook: answers ``ok`` and keeps (and prints) what it was sent.

Run: ``python -m sandbox.slack_stub --port 8765``. ``GET /_messages`` returns the JSON bodies received so far;
``DELETE /_messages`` clears them.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlackStub(ThreadingHTTPServer):
    """The server; ``messages`` holds every webhook payload received."""

    def __init__(self, address: tuple[str, int], echo: bool = False) -> None:
        super().__init__(address, _Handler)
        self.messages: list[dict] = []
        self.echo = echo
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: SlackStub

    def _reply(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.messages.append(payload)
        if self.server.echo:
            print(f"[slack] {payload.get('text', payload)}", flush=True)
        self._reply(200, "ok")

    def do_GET(self) -> None:  # noqa: N802
        with self.server.lock:
            self._reply(200, json.dumps(self.server.messages), "application/json")

    def do_DELETE(self) -> None:  # noqa: N802
        with self.server.lock:
            self.server.messages.clear()
        self._reply(200, "[]", "application/json")

    def log_message(self, format: str, *args) -> None:  # silence per-request logging
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = SlackStub((args.host, args.port), echo=True)
    print(f"Slack stand-in listening on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
