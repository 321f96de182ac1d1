"""A fake of the parts of Stripe's API the centrale uses, served on 127.0.0.1 for the tests.

It speaks Stripe's wire format: form-encoded requests with bracketed keys
(``line_items[0][price_data][unit_amount]=12000``), JSON objects back, bearer-key
authentication and the Idempotency-Key header (the same key on the same path returns the
first response again). Every request is logged in ``requests`` so tests can count calls.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SESSION_LIFETIME_SECONDS = 24 * 3600


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    authorization: str | None


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Turn Stripe's bracketed form keys back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if isinstance(node, dict):
            node = {key: listify(value) for key, value in node.items()}
            if node and all(key.isdigit() for key in node):
                return [node[key] for key in sorted(node, key=int)]
        return node

    return listify(root)


@dataclass
class FakeStripe:
    api_key: str
    requests: list[RecordedRequest] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    payment_intents: dict[str, dict] = field(default_factory=dict)
    customers: dict[str, dict] = field(default_factory=dict)
    cash_transactions: dict[str, list[dict]] = field(default_factory=dict)
    idempotent_responses: dict[tuple[str, str], tuple[int, dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- Lifecycle ---------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._dispatch(self, "GET")

            def do_POST(self):
                fake._dispatch(self, "POST")

            def log_message(self, format, *args):  # keep the test output quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method and request.path == path]

    # --- What Stripe does when a payer acts (test helpers) ---------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def pay_session(self, session_id: str, *, settled: bool = True) -> dict:
        """Complete a session as Stripe does when the payer confirms; return its payment intent.

        ``settled`` false leaves the payment processing, as a SEPA debit is for days.
        """
        with self._lock:
            session = self.sessions[session_id]
            intent = self._new_intent(session["amount_total"], session["payment_intent_data_metadata"])
            intent["status"] = "succeeded" if settled else "processing"
            intent["amount_received"] = session["amount_total"] if settled else 0
            session.update(status="complete", payment_status="paid" if settled else "unpaid", payment_intent=intent["id"])
            return intent

    def expire_session(self, session_id: str) -> None:
        with self._lock:
            self.sessions[session_id]["status"] = "expired"

    def settle_intent(self, intent_id: str) -> None:
        with self._lock:
            intent = self.payment_intents[intent_id]
            intent.update(status="succeeded", amount_received=intent["amount"])

    def refund(self, intent_id: str, cents: int) -> dict:
        """Refund ``cents`` of the intent's charge; return the charge as charge.refunded sends it."""
        with self._lock:
            charge = self.payment_intents[intent_id]["latest_charge"]
            charge["amount_refunded"] += cents
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            return dict(charge)

    def receive_transfer(self, customer_id: str, cents: int, reference: str) -> dict:
        """Record a bank transfer received on the customer's virtual IBAN; return the transaction."""
        with self._lock:
            transaction = {
                "id": self._new_id("ccsbtxn"),
                "object": "customer_cash_balance_transaction",
                "customer": customer_id,
                "type": "funded",
                "currency": "eur",
                "net_amount": cents,
                "created": int(time.time()),
                "livemode": False,
                "funded": {"bank_transfer": {"type": "eu_bank_transfer", "reference": reference}},
            }
            self.cash_transactions.setdefault(customer_id, []).insert(0, transaction)
            return transaction

    def _new_intent(self, amount: int, metadata: dict) -> dict:
        intent_id = self._new_id("pi")
        charge = {
            "id": self._new_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "refunded": False,
            "paid": True,
            "status": "succeeded",
            "currency": "eur",
            "payment_intent": intent_id,
            "metadata": dict(metadata),
        }
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": "eur",
            "status": "requires_payment_method",
            "metadata": dict(metadata),
            "last_payment_error": None,
            "latest_charge": charge,
            "created": int(time.time()),
        }
        self.payment_intents[intent_id] = intent
        return intent

    # --- HTTP ------------------------------------------------------------------------

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode("utf-8") if length else ""
        params = unflatten(parse_qsl(body if method == "POST" else url.query, keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key")
        authorization = handler.headers.get("Authorization")
        with self._lock:
            self.requests.append(RecordedRequest(method, url.path, params, key, authorization))
        if authorization != f"Bearer {self.api_key}":
            self._reply(handler, 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
            return
        if method == "POST" and key:
            with self._lock:
                replay = self.idempotent_responses.get((url.path, key))
            if replay is not None:
                self._reply(handler, *replay, replayed=True)
                return
        status, payload = self._route(method, url.path, params)
        if method == "POST" and key and status == 200:
            with self._lock:
                # A concurrent request with the same key may have stored its response first.
                stored = self.idempotent_responses.setdefault((url.path, key), (status, payload))
            status, payload = stored
        self._reply(handler, status, payload)

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, payload: dict, replayed: bool = False) -> None:
        body = json.dumps(payload).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Request-Id", self._new_id("req"))
        if replayed:
            handler.send_header("Idempotent-Replayed", "true")
        handler.end_headers()
        handler.wfile.write(body)

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            return self._found(self.sessions.get(parts[3]), public=True)
        if method == "GET" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            intent = self.payment_intents.get(parts[2])
            if intent is not None and "latest_charge" not in params.get("expand", []):
                intent = {**intent, "latest_charge": intent["latest_charge"]["id"]}
            return self._found(intent)
        if method == "POST" and path == "/v1/customers":
            customer = {"id": self._new_id("cus"), "object": "customer", "name": params.get("name", ""),
                        "email": params.get("email"), "metadata": params.get("metadata", {})}
            self.customers[customer["id"]] = customer
            return 200, customer
        if method == "POST" and parts[:2] == ["v1", "customers"] and parts[3:] == ["funding_instructions"]:
            return self._funding_instructions(parts[2], params)
        if method == "GET" and parts[:2] == ["v1", "customers"] and parts[3:] == ["cash_balance_transactions"]:
            if parts[2] not in self.customers:
                return self._found(None)
            data = self.cash_transactions.get(parts[2], [])[: int(params.get("limit", 10))]
            return 200, {"object": "list", "data": data, "has_more": False, "url": path}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})"}}

    @staticmethod
    def _found(resource: dict | None, public: bool = False) -> tuple[int, dict]:
        if resource is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such object"}}
        if public:
            resource = {key: value for key, value in resource.items() if key != "payment_intent_data_metadata"}
        return 200, resource

    def _create_session(self, params: dict) -> dict:
        [line] = params["line_items"]
        amount = int(line["price_data"]["unit_amount"]) * int(line.get("quantity", 1))
        with self._lock:
            session_id = self._new_id("cs")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params["mode"],
                "url": f"{self.base_url}/pay/{session_id}",
                "amount_total": amount,
                "currency": line["price_data"]["currency"],
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "payment_method_types": params.get("payment_method_types", []),
                "client_reference_id": params.get("client_reference_id"),
                "customer": params.get("customer"),
                "metadata": params.get("metadata", {}),
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "created": int(time.time()),
                "expires_at": int(time.time()) + SESSION_LIFETIME_SECONDS,
                "payment_intent_data_metadata": params.get("payment_intent_data", {}).get("metadata", {}),
            }
            self.sessions[session_id] = session
        return self._found(session, public=True)[1]

    def _funding_instructions(self, customer_id: str, params: dict) -> tuple[int, dict]:
        if customer_id not in self.customers:
            return self._found(None)
        digits = f"{sum(map(ord, customer_id)) % 10**10:010d}"
        return 200, {
            "object": "funding_instructions",
            "currency": params["currency"],
            "funding_type": params["funding_type"],
            "livemode": False,
            "bank_transfer": {
                "country": "FR",
                "type": params["bank_transfer"]["type"],
                "financial_addresses": [
                    {
                        "type": "iban",
                        "supported_networks": ["sepa"],
                        "iban": {
                            "account_holder_name": "Stripe Payments Europe",
                            "bic": "SXPYFRP1",
                            "country": "FR",
                            "iban": f"FR76301010000{digits}42",
                        },
                    }
                ],
            },
        }
