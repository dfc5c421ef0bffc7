"""A moto server that answers like AWS where it matters to us, counts calls, and can inject faults.

Run: ``python -m sandbox.moto_server --port 5000``. Besides the AWS APIs it serves, on the same port:

* ``GET /_sandbox/calls`` — every API call so far, as ``[{"service", "action", "params", "key", "account",
  "status"}]`` (``key`` is the caller's access key id, ``account`` the account the call acts in: a 12-digit key's,
  an assumed role's, else moto's default; ``status`` the HTTP status moto answered, absent for a lost answer; for
  REST calls such as S3's, ``action`` is the method and path and ``params`` is empty); ``DELETE`` clears.
* ``POST /_sandbox/faults`` — ``{"throttle_fraction": 0.3, "seed": 1, "fail": {"DeleteUser":
  ["EntityTemporarilyUnmodifiable", 2], "DetachUserPolicy": ["AccessDenied", 99, 6]}}``: answer a seeded fraction
  of IAM calls with ``Throttling`` (with ``"throttle_mutating_only": true``, of the calls that change something:
  not Get…, not List…), and N calls of an action with the given error (after letting the first K through, when a
  third number is given). Injected failures are not recorded as calls; ``GET`` returns how many were injected, by
  ``action:error``. The same body may also hold:

  * ``"lose": {"DeleteUser": [N, K]}`` — after skipping K calls, N calls of the action are applied and their
    response lost (answered with a 500 ``ServiceFailure``, which the client retries, as a dropped connection);
  * ``"drop": {"DeleteUser": [N, K]}`` — the same, but the connection is closed with no HTTP answer at all, as a
    network failure after AWS applied the call would (the client retries);
  * ``"delay": {"DeleteUser": [seconds, N]}`` — N calls of the action are held that long before being applied;
  * ``"before": {"DeleteUser": {"skip": K, "requests": [{"Action": "CreateUser", "UserName": "alice"}, ...]}}``
    — once, just before call K+1 of the action is applied, the listed IAM requests (query-protocol parameters)
    are applied in the caller's account, as another actor's changes would be: a user recreated, a key added.
  * ``"deny_assume_role": ["444444444444", ...]`` — STS AssumeRole of any role in those accounts is answered
    ``AccessDenied``, as AWS answers when the role does not exist or its trust policy does not trust the caller
    (moto itself checks neither): an organization's member account that cannot be reached. Counted as
    ``AssumeRole:AccessDenied``, not recorded as a call.
  * ``"identity_center": {...}`` — Identity Center's faults (``sandbox.identity_center``); a denial counts as
    ``action:AccessDenied``.

  Lost responses count as ``action:lost`` in what ``GET`` returns, dropped ones as ``action:dropped`` (recorded).
* ``POST /_sandbox/users/<name>/dates`` — ``{"account": "123456789012", "create_date": iso, "password_last_used":
  iso | null, "access_key_last_used": [iso | null, ...]}``: set an IAM user's dates in moto's state (what the
  credential report and GetAccountAuthorizationDetails show); every key is optional, ``null`` means never used,
  the list goes by the user's access keys in creation order, and ``create_date`` also back-dates the user's
  access keys. ``account`` defaults to moto's default account.
* ``POST /_sandbox/bulk_users`` — ``{"count": 10000, "prefix": "u", "with_keys": 1, "account": "123456789012"}``:
  create users ``<prefix>00000``… straight in moto's state (seconds for 10,000), each with ``with_keys`` access
  keys (0-2, default 0); every third one also has a console password. Dates follow from the index: created
  1-730 days ago, each credential last used 0-364 days ago (not before the user's creation), every fifth user's
  credentials never used. Answers ``{"created": count}``.

Permission denials of JSON-protocol calls (Secrets Manager) come back as AWS sends them, in JSON. An access key
id of 12 digits selects that account (as the ``x-moto-account-id`` header does): connections with login
``111111111111`` and ``222222222222`` are two accounts on one server.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlencode

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox import faults, identity_center, strict_moto
from sandbox.control import READ_PREFIXES  # never throttled under throttle_mutating_only
from sandbox.moto_state import create_bulk_users, set_user_dates

ERROR_STATUS = {"Throttling": 400, "EntityTemporarilyUnmodifiable": 409, "ConcurrentModification": 409}
ERROR_STATUS |= {"DeleteConflict": 409, "AccessDenied": 403, "ServiceFailure": 500}
USER_DATES_PATH = re.compile(r"^/_sandbox/users/(?P<name>[^/]+)/dates$")
ACCOUNT_ACCESS_KEY = re.compile(r"Credential=(?P<account>\d{12})/")
ROLE_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(?P<account>\d{12}):role/")


def _error_xml(code: str) -> str:
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>Injected {code}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )


def _assume_role_denied_xml(role_arn: str) -> str:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        "<Code>AccessDenied</Code><Message>Injected: not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )


def _drop_connection(environ: dict) -> None:
    """Close the client's connection without an answer; werkzeug treats the error raised as a dropped client."""
    connection = environ["werkzeug.socket"]
    connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("sandbox: connection dropped after applying the call")


def _account_of_key(access_key_id: str) -> str:
    """The account moto answers a call signed with this key in: a 12-digit key's, an assumed role's, or the default."""
    if re.fullmatch(r"\d{12}", access_key_id):
        return access_key_id
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key_id)


class SandboxMiddleware:
    """WSGI middleware: records each call and injects the configured faults into query-protocol (IAM) calls."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.faults: dict = {}
        self.injected: Counter[str] = Counter()
        self.random = random.Random(0)

    def _control(self, request: Request) -> Response:
        with self.lock:
            if request.path == "/_sandbox/calls":
                if request.method == "DELETE":
                    self.calls.clear()
                return Response(json.dumps(self.calls), mimetype="application/json")
            if request.path == "/_sandbox/faults" and request.method == "GET":
                return Response(json.dumps(self.injected), mimetype="application/json")
            if request.path == "/_sandbox/faults":
                self.injected.clear()
                self.faults = request.get_json() or {}
                for table in ("fail", "lose", "drop", "delay"):
                    self.faults[table] = {k: list(v) for k, v in self.faults.get(table, {}).items()}
                self.random = random.Random(self.faults.get("seed", 0))
                identity_center.configure(self.faults.get("identity_center"))
                return Response("{}", mimetype="application/json")
            if (match := USER_DATES_PATH.match(request.path)) and request.method == "POST":
                try:
                    set_user_dates(match["name"], request.get_json() or {})
                except KeyError as error:
                    return Response(json.dumps({"error": f"no such account or user: {error}"}), status=404)
                return Response("{}", mimetype="application/json")
            if request.path == "/_sandbox/bulk_users" and request.method == "POST":
                created = create_bulk_users(request.get_json() or {})
                return Response(json.dumps({"created": created}), mimetype="application/json")
        return Response("not found", status=404)

    def _injected_error(self, service: str, action: str) -> str | None:
        with self.lock:
            error = None
            pending = self.faults.get("fail", {}).get(action)
            if pending and len(pending) > 2 and pending[2] > 0:
                pending[2] -= 1  # let this call through: the failures start after the skipped ones
            elif pending and pending[1] > 0:
                pending[1] -= 1
                error = pending[0]
            fraction = self.faults.get("throttle_fraction", 0)
            throttled = not self.faults.get("throttle_mutating_only") or not action.startswith(READ_PREFIXES)
            if error is None and service == "iam" and fraction and throttled and self.random.random() < fraction:
                error = "Throttling"
            if error:
                self.injected[f"{action}:{error}"] += 1
            return error

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            return self._control(request)(environ, start_response)
        if match := ACCOUNT_ACCESS_KEY.search(request.headers.get("Authorization", "")):
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = match["account"]
        body = request.get_data()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        auth = request.headers.get("Authorization", "")
        scope = auth.split("Credential=")[-1].split("/") if "Credential=" in auth else ["", "", "", "unknown"]
        key, service = scope[0], scope[3]
        action = params.pop("Action", None) or request.args.get("Action")
        lost = dropped = False
        if action:
            if action == "AssumeRole" and self._assume_role_denied(params.get("RoleArn", "")):
                with self.lock:
                    self.injected["AssumeRole:AccessDenied"] += 1
                response = Response(_assume_role_denied_xml(params["RoleArn"]), status=403, mimetype="text/xml")
                return response(environ, start_response)
            if error := self._injected_error(service, action):
                response = Response(_error_xml(error), status=ERROR_STATUS.get(error, 400), mimetype="text/xml")
                return response(environ, start_response)
            params.pop("Version", None)
            self._delay(action)
            self._apply_scripted_requests(environ, action)
            lost = self._take(self.faults.get("lose", {}), action)
            dropped = not lost and self._take(self.faults.get("drop", {}), action)
        elif target := request.headers.get("X-Amz-Target"):  # JSON protocol (Secrets Manager, Identity Center)
            action, params = target.rsplit(".", 1)[-1], json.loads(body or b"{}")
            if denial := identity_center.denial(service, action):
                with self.lock:
                    self.injected[f"{action}:AccessDenied"] += 1
                return Response(**denial)(environ, start_response)
        else:  # a REST call (S3): record the method and path
            action, params = f"{request.method} {request.path}", {}
        account = _account_of_key(key)
        call = {"service": service, "action": action, "params": params, "key": key, "account": account}
        with self.lock:
            self.calls.append(call)
        if request.headers.get("X-Amz-Target"):
            response = self._json_access_denied(Response.from_app(self.app, environ))
            call["status"] = response.status_code
            return response(environ, start_response)
        if lost or dropped:
            Response.from_app(self.app, environ).get_data()  # applied; the answer never reaches the caller
            with self.lock:
                self.injected[f"{action}:{'lost' if lost else 'dropped'}"] += 1
            if dropped:
                _drop_connection(environ)
            return Response(_error_xml("ServiceFailure"), status=500, mimetype="text/xml")(environ, start_response)

        def record_status(status: str, headers, exc_info=None):
            call["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        return self.app(environ, record_status)

    def _assume_role_denied(self, role_arn: str) -> bool:
        with self.lock:
            denied = self.faults.get("deny_assume_role", [])
        match = ROLE_ACCOUNT.match(role_arn)
        return bool(match) and match["account"] in denied

    def _take(self, table: dict, action: str) -> bool:
        """Whether this call of ``action`` is one of the ``[N, K]`` entry's N (after skipping K); counts it."""
        with self.lock:
            return faults.take(table.get(action))

    def _delay(self, action: str) -> None:
        with self.lock:
            pending = self.faults.get("delay", {}).get(action)
            seconds = pending[0] if pending and pending[1] > 0 else 0
            if seconds:
                pending[1] -= 1
        if seconds:
            time.sleep(seconds)

    def _apply_scripted_requests(self, environ: dict, action: str) -> None:
        """Apply the ``before`` requests for ``action`` once, in the caller's account, ahead of the call."""
        with self.lock:
            script = self.faults.get("before", {}).get(action)
            if not script or script.get("done"):
                return
            if script.get("skip", 0) > 0:
                script["skip"] -= 1
                return
            script["done"] = True
        for parameters in script["requests"]:
            body = urlencode({**parameters, "Version": "2010-05-08"}).encode()
            sub = dict(environ, REQUEST_METHOD="POST", CONTENT_LENGTH=str(len(body)), QUERY_STRING="")
            sub["wsgi.input"] = io.BytesIO(body)
            answer = Response.from_app(self.app, sub)
            if answer.status_code >= 400:
                raise RuntimeError(f"scripted {parameters['Action']} failed: {answer.get_data(as_text=True)}")

    @staticmethod
    def _json_access_denied(response: Response) -> Response:
        """moto denies JSON-protocol calls (Secrets Manager) with IAM's XML body; AWS answers in JSON."""
        if response.status_code == 403 and response.get_data().lstrip().startswith(b"<"):
            message = re.search(rb"<Message>(.*?)</Message>", response.get_data(), re.S)
            body = {"__type": "AccessDeniedException", "message": message[1].decode() if message else "Access denied"}
            return Response(json.dumps(body), status=403, mimetype="application/x-amz-json-1.1")
        return response


def make_app():
    strict_moto.apply()
    identity_center.apply()
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
