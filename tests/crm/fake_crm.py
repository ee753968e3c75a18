"""HubSpot and Salesforce as their official clients see them: HTTPS servers on 127.0.0.1 that
speak the documented endpoints the agent calls and answer with the documented shapes, errors
included (401 for a wrong token, 400 for an invalid write, 409 for a contact that exists, 429 with
`Retry-After`). Objects live in memory, so a test counts what the CRM holds, and every request is
kept (method, path, body, when) so a test counts calls.

TLS because simple-salesforce only speaks https: a certificate for 127.0.0.1 is made per test
session (cryptography), and the clients trust it through `SDR_CRM_CA_BUNDLE`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent import clock

TOKEN = "test-access-token-0123456789"
ACTIVITY_PROPERTY = "sdr_activity_id"
ACTIVITY_FIELD = "SDR_Activity_Id__c"
SF = "/services/data/v61.0"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the CA file the clients trust) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # TLS checks these against the machine's calendar, not the suite's clock (which
        # `make test-clocks` moves by a year): valid for any date a test may run at.
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "crm-ca.pem", folder / "crm-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass(frozen=True)
class Fault:
    """The next request whose path contains `path` gets this status instead of its answer."""

    path: str
    status: int
    retry_after: str | None = None
    body: Any = None


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    at: float  # time.monotonic(), to see how long a client waited


@dataclass
class FakeCrm:
    token: str = TOKEN
    requests: list[Seen] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # type -> id -> fields
    lists: dict[str, list[str]] = field(default_factory=dict)  # list (or campaign) id -> member ids
    page_size: int = 2  # small pages, so that paging is exercised
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(9001))

    def add(self, kind: str, fields: dict[str, Any], object_id: str | None = None) -> str:
        object_id = object_id or str(next(self._ids))
        self.objects.setdefault(kind, {})[object_id] = dict(fields)
        return object_id

    def of(self, kind: str) -> list[dict[str, Any]]:
        return list(self.objects.get(kind, {}).values())

    def calls(self, method: str, contains: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and contains in r.path]

    def answer(self, method: str, path: str, body: Any, authorization: str) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.requests.append(Seen(method, path, body, time.monotonic()))
            if authorization != f"Bearer {self.token}":
                return self.unauthorized()
            for fault in list(self.faults):
                if fault.path in path:
                    self.faults.remove(fault)
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return fault.status, fault.body if fault.body is not None else self.error(fault.status), headers
            return self.route(method, path, body)

    def unauthorized(self) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def error(self, status: int) -> Any:
        raise NotImplementedError

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


def _now() -> str:
    return clock.utcnow().isoformat(timespec="milliseconds") + "Z"


class FakeHubSpot(FakeCrm):
    """CRM v3 objects, lists and v4 associations, as `hubspot-api-client` calls them."""

    def unauthorized(self) -> tuple[int, Any, dict[str, str]]:
        return 401, self.error(401), {}

    def error(self, status: int) -> Any:
        category = {401: "INVALID_AUTHENTICATION", 400: "VALIDATION_ERROR", 429: "RATE_LIMITS"}.get(status, "ERROR")
        message = {
            401: "Authentication credentials not found.",
            400: "Property values were not valid",
            429: "You have reached your secondly limit.",
        }.get(status, "internal error")
        return {"status": "error", "message": message, "correlationId": "c0ffee", "category": category}

    def _object(
        self, kind: str, object_id: str, wanted: list[str] | None = None, new: bool | None = None
    ) -> dict[str, Any]:
        properties = self.objects[kind][object_id]
        shown = {k: v for k, v in properties.items() if wanted is None or k in wanted}
        answer = {"id": object_id, "properties": shown, "createdAt": _now(), "updatedAt": _now(), "archived": False}
        if new is not None:
            answer["new"] = new
        return answer

    def _batch(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method == "GET" and (m := re.fullmatch(r"/crm/v3/lists/(\w+)/memberships", url.path)):
            members = self.lists.get(m[1])
            if members is None:
                return (
                    404,
                    {"status": "error", "message": f"List {m[1]} does not exist", "category": "OBJECT_NOT_FOUND"},
                    {},
                )
            start = int(query.get("after", 0))
            end = start + min(int(query.get("limit", 100)), self.page_size)
            page: dict[str, Any] = {
                "results": [{"recordId": i, "membershipTimestamp": _now()} for i in members[start:end]],
                "total": len(members),
            }
            if end < len(members):
                page["paging"] = {"next": {"after": str(end)}}
            return 200, page, {}
        if method == "POST" and (m := re.fullmatch(r"/crm/v3/objects/(contacts|companies)/batch/read", url.path)):
            kind = m[1]
            found = [i["id"] for i in body["inputs"] if i["id"] in self.objects.get(kind, {})]
            return 200, self._batch([self._object(kind, i, body.get("properties")) for i in found]), {}
        if method == "GET" and (m := re.fullmatch(r"/crm/v3/objects/contacts/([^/]+)", url.path)):
            key = unquote(m[1])
            for object_id, fields in self.objects.get("contacts", {}).items():
                if (query.get("idProperty") == "email" and fields.get("email") == key) or object_id == key:
                    return 200, self._object("contacts", object_id, ["email"]), {}
            return 404, {"status": "error", "message": "resource not found", "category": "OBJECT_NOT_FOUND"}, {}
        if method == "POST" and url.path == "/crm/v3/objects/contacts":
            email = body["properties"].get("email")
            for object_id, fields in self.objects.get("contacts", {}).items():
                if fields.get("email") == email:
                    message = f"Contact already exists. Existing ID: {object_id}"
                    return 409, {"status": "error", "message": message, "category": "CONFLICT"}, {}
            return 201, self._object("contacts", self.add("contacts", body["properties"])), {}
        if method == "POST" and (m := re.fullmatch(r"/crm/v3/objects/(emails|notes|meetings)/batch/upsert", url.path)):
            return self._upsert(m[1], body)
        if method == "DELETE" and (m := re.fullmatch(r"/crm/v3/objects/(emails|notes|meetings)/(\w+)", url.path)):
            self.objects.get(m[1], {}).pop(m[2], None)  # HubSpot answers 204 for an id it does not have too
            return 204, None, {}
        if method == "PUT" and (
            m := re.fullmatch(r"/crm/v4/objects/(\w+)/(\w+)/associations/default/contacts/(\w+)", url.path)
        ):
            if m[2] not in self.objects.get(m[1], {}) or m[3] not in self.objects.get("contacts", {}):
                return 404, {"status": "error", "message": "object not found", "category": "OBJECT_NOT_FOUND"}, {}
            self.objects[m[1]][m[2]].setdefault("_contacts", set()).add(m[3])  # a set: PUT twice is once
            spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 10}
            return 200, self._batch([{"from": {"id": m[2]}, "to": {"id": m[3]}, "associationSpec": spec}]), {}
        return 404, {"status": "error", "message": f"no route {method} {url.path}", "category": "OBJECT_NOT_FOUND"}, {}

    def _upsert(self, kind: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        results = []
        for item in body["inputs"]:
            if item.get("idProperty") != ACTIVITY_PROPERTY:
                message = f'Property "{item.get("idProperty")}" does not exist or is not a unique property'
                return 400, {"status": "error", "message": message, "category": "VALIDATION_ERROR"}, {}
            if "hs_timestamp" not in item["properties"]:
                message = "Property values were not valid: hs_timestamp is required"
                return 400, {"status": "error", "message": message, "category": "VALIDATION_ERROR"}, {}
            existing = next(
                (i for i, f in self.objects.get(kind, {}).items() if f.get(ACTIVITY_PROPERTY) == item["id"]), None
            )
            if existing is None:
                results.append(self._object(kind, self.add(kind, item["properties"]), new=True))
            else:
                self.objects[kind][existing].update(item["properties"])
                results.append(self._object(kind, existing, new=False))
        return 200, self._batch(results), {}


class FakeSalesforce(FakeCrm):
    """The REST API's query, sObject create and upsert-by-external-id, as simple-salesforce calls them."""

    def unauthorized(self) -> tuple[int, Any, dict[str, str]]:
        return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], {}

    def error(self, status: int) -> Any:
        if status == 429:
            return [{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        if status == 400:
            return [
                {
                    "message": "Required fields are missing: [Subject]",
                    "errorCode": "REQUIRED_FIELD_MISSING",
                    "fields": ["Subject"],
                }
            ]
        return [{"message": "An unexpected error occurred", "errorCode": "UNKNOWN_EXCEPTION"}]

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(path)
        if not url.path.startswith(SF):
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}], {}
        rest = url.path.removeprefix(SF)
        if method == "GET" and rest.rstrip("/") == "/query":
            return 200, self._query(parse_qs(url.query)["q"][0]), {}
        if method == "GET" and (m := re.fullmatch(r"/query/(\w+)-(\d+)", rest)):
            return 200, self._page(self._pending_pages[m[1]], int(m[2]), m[1]), {}
        if method == "POST" and (m := re.fullmatch(r"/sobjects/(\w+)/?", rest)):
            object_id = self.add(m[1], body, f"00Q{next(self._ids)}")
            return 201, {"id": object_id, "success": True, "errors": []}, {}
        if method == "PATCH" and (m := re.fullmatch(r"/sobjects/(Task|Event)/(\w+)/(.+)", rest)):
            return self._upsert(m[1], m[2], unquote(m[3]), body)
        if method == "DELETE" and (m := re.fullmatch(r"/sobjects/(Task|Event)/(\w+)", rest)):
            if self.objects.get(m[1], {}).pop(m[2], None) is None:
                return 404, [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED"}], {}
            return 204, None, {}
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}], {}

    @property
    def _pending_pages(self) -> dict[str, list[dict[str, Any]]]:
        return self.__dict__.setdefault("_pages", {})

    def _page(self, records: list[dict[str, Any]], start: int, locator: str) -> dict[str, Any]:
        end = start + self.page_size
        page = {"totalSize": len(records), "done": end >= len(records), "records": records[start:end]}
        if end < len(records):
            page["nextRecordsUrl"] = f"{SF}/query/{locator}-{end}"
        return page

    def _query(self, soql: str) -> dict[str, Any]:
        sobject = re.search(r"\bFROM (\w+)", soql)[1]  # type: ignore[index]
        rows = self.objects.get(sobject, {})
        if m := re.search(r"WHERE Email = '([^']*)'", soql):
            found = [{"attributes": {"type": sobject}, "Id": i} for i, f in rows.items() if f.get("Email") == m[1]]
            return {"totalSize": len(found), "done": True, "records": found[:1]}
        if m := re.search(rf"WHERE {ACTIVITY_FIELD} = '([^']*)'", soql):
            found = [
                {"attributes": {"type": sobject}, "Id": i} for i, f in rows.items() if f.get(ACTIVITY_FIELD) == m[1]
            ]
            return {"totalSize": len(found), "done": True, "records": found}
        members = list(rows)
        if m := re.search(r"CampaignId = '([^']*)'", soql):
            members = [i for i in self.lists.get(m[1], []) if i in rows]
        records = [self._contact(i) for i in members]
        locator = f"01g{len(self._pending_pages)}"
        self._pending_pages[locator] = records
        return self._page(records, 0, locator)

    def _contact(self, contact_id: str) -> dict[str, Any]:
        fields = self.objects["Contact"][contact_id]
        account = self.objects.get("Account", {}).get(fields.get("AccountId", ""))
        record = {"attributes": {"type": "Contact", "url": f"{SF}/sobjects/Contact/{contact_id}"}, "Id": contact_id}
        record |= {k: fields.get(k) for k in ("Email", "FirstName", "LastName", "Title", "Phone")}
        record["Account"] = {"attributes": {"type": "Account"}, **account} if account else None
        return record

    def _upsert(self, sobject: str, key: str, value: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if key != ACTIVITY_FIELD:
            message = f"Provided external ID field does not exist or is not accessible: {key}"
            return 404, [{"errorCode": "NOT_FOUND", "message": message}], {}
        if not body.get("Subject"):
            return 400, self.error(400), {}
        rows = self.objects.setdefault(sobject, {})
        existing = next((i for i, f in rows.items() if f.get(ACTIVITY_FIELD) == value), None)
        if existing is None:
            object_id = self.add(sobject, body | {ACTIVITY_FIELD: value}, f"00T{next(self._ids)}")
            return 201, {"id": object_id, "success": True, "errors": [], "created": True}, {}
        rows[existing].update(body)
        return 200, {"id": existing, "success": True, "errors": [], "created": False}, {}


def _handler(fake: FakeCrm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, payload, headers = fake.answer(self.command, self.path, body, self.headers.get("Authorization", ""))
            data = b"" if status == 204 else json.dumps(payload, default=sorted).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(fake: FakeCrm, certificate: tuple[Path, Path]) -> Iterator[FakeCrm]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    fake.base_url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
