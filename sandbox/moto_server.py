"""A moto server that answers like AWS where it matters to us, counts calls, and can inject faults.

Run: ``python -m sandbox.moto_server --port 5000``. Besides the AWS APIs it serves, on the same port:

* ``GET /_sandbox/calls`` — every API call so far, as ``[{"service", "action", "params"}]`` (for REST calls
  such as S3's, ``action`` is the method and path); ``DELETE`` clears.
* ``POST /_sandbox/faults`` — ``{"throttle_fraction": 0.3, "seed": 1, "fail": {"DeleteUser":
  ["EntityTemporarilyUnmodifiable", 2]}}``: answer a seeded fraction of IAM calls with ``Throttling``, and the
  first N calls of an action with the given error. Injected failures are not recorded as calls.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import threading
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox import strict_moto

ERROR_STATUS = {"Throttling": 400, "EntityTemporarilyUnmodifiable": 409, "ServiceFailure": 500}


def _error_xml(code: str) -> str:
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>Injected {code}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )


class SandboxMiddleware:
    """WSGI middleware: records each call and injects the configured faults into query-protocol (IAM) calls."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.faults: dict = {}
        self.random = random.Random(0)

    def _control(self, request: Request) -> Response:
        with self.lock:
            if request.path == "/_sandbox/calls":
                if request.method == "DELETE":
                    self.calls.clear()
                return Response(json.dumps(self.calls), mimetype="application/json")
            if request.path == "/_sandbox/faults":
                self.faults = request.get_json() or {}
                self.faults["fail"] = {k: list(v) for k, v in self.faults.get("fail", {}).items()}
                self.random = random.Random(self.faults.get("seed", 0))
                return Response("{}", mimetype="application/json")
        return Response("not found", status=404)

    def _injected_error(self, service: str, action: str) -> str | None:
        with self.lock:
            pending = self.faults.get("fail", {}).get(action)
            if pending and pending[1] > 0:
                pending[1] -= 1
                return pending[0]
            fraction = self.faults.get("throttle_fraction", 0)
            if service == "iam" and fraction and self.random.random() < fraction:
                return "Throttling"
        return None

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            return self._control(request)(environ, start_response)
        body = request.get_data()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        auth = request.headers.get("Authorization", "")
        service = auth.split("Credential=")[-1].split("/")[3] if "Credential=" in auth else "unknown"
        action = params.pop("Action", None) or request.args.get("Action")
        if action:
            if error := self._injected_error(service, action):
                response = Response(_error_xml(error), status=ERROR_STATUS.get(error, 400), mimetype="text/xml")
                return response(environ, start_response)
            params.pop("Version", None)
        else:  # a REST call (S3): record the method and path
            action, params = f"{request.method} {request.path}", {}
        with self.lock:
            self.calls.append({"service": service, "action": action, "params": params})
        return self.app(environ, start_response)


def make_app():
    strict_moto.apply()
    from moto.server import DomainDispatcherApplication, create_backend_app

    return SandboxMiddleware(DomainDispatcherApplication(create_backend_app))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    server = make_server(args.host, args.port, make_app(), threaded=True)
    print(f"moto sandbox listening on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
