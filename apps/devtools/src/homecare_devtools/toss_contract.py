"""A local server that speaks Toss Payments' documented core API, for tests (never deployed).

Endpoints: `POST /v1/payments/confirm`, `POST /v1/payments/{paymentKey}/cancel`,
`GET /v1/payments/{paymentKey}`. Behaviour from Toss's docs: Basic auth with the secret key
(`401 UNAUTHORIZED_KEY` otherwise); errors as `{"code", "message"}`; a second confirm of a
payment → `400 ALREADY_PROCESSED_PAYMENT`; `Idempotency-Key` (≤ 300 characters, else
`400 INVALID_IDEMPOTENCY_KEY`) replays the first response for the same key, method and path, and
a request while the first with that key still runs gets `409 IDEMPOTENT_REQUEST_PROCESSING`;
cancel without `cancelAmount` refunds the balance, more than the balance is
`400 NOT_CANCELABLE_AMOUNT`, a cancelled payment `400 ALREADY_CANCELED_PAYMENT`.

Test controls (Python, not HTTP): `authorize()` stands in for the payment widget (a paymentKey
the customer approved, with its amount); `inject(op, fault, times)` makes the next calls fail
with `provider_error` (400 PROVIDER_ERROR, nothing charged), `server_error` (500, nothing
charged), `timeout_before` (hangs, nothing charged) or `timeout_after` (charges, then hangs past
the client's timeout); `charges` counts real charges per paymentKey.

Run on its own (`make up` with HOMECARE_TOSS_STACK=1, for the browser tests, which cannot call
Python): `python -m homecare_devtools.toss_contract --port 8010 --secret-key test_sk_...` also
serves the test controls over HTTP, under `/__test__/` (never a Toss path):
`POST /__test__/authorize {paymentKey, orderId, amount}` and `GET /__test__/charges`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import enum
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

KST = timezone(timedelta(hours=9))


class Fault(enum.StrEnum):
    PROVIDER_ERROR = "provider_error"
    SERVER_ERROR = "server_error"
    TIMEOUT_BEFORE = "timeout_before"
    TIMEOUT_AFTER = "timeout_after"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


@dataclass
class _Payment:
    payment_key: str
    order_id: str
    amount: int
    status: str = "READY"
    balance: int = 0
    approved_at: str | None = None
    cancels: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "version": "2022-11-16",
            "paymentKey": self.payment_key,
            "orderId": self.order_id,
            "orderName": "방문요양",
            "currency": "KRW",
            "method": "카드",
            "status": self.status,
            "totalAmount": self.amount,
            "balanceAmount": self.balance,
            "requestedAt": self.approved_at or datetime.now(KST).isoformat(),
            "approvedAt": self.approved_at,
            "cancels": self.cancels or None,
        }


class TossContractServer:
    def __init__(self, secret_key: str, *, hang_s: float = 5.0) -> None:
        self.secret_key = secret_key
        self.hang_s = hang_s
        self.charges: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._payments: dict[str, _Payment] = {}
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._replies: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
        self._in_flight: set[tuple[str, str, str]] = set()
        self._lock = asyncio.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/payments/confirm", self._confirm, methods=["POST"]),
                Route("/v1/payments/{payment_key}/cancel", self._cancel, methods=["POST"]),
                Route("/v1/payments/{payment_key}", self._get, methods=["GET"]),
            ]
        )

    # --- test controls -------------------------------------------------------------------
    def authorize(self, payment_key: str, order_id: str, amount: int) -> None:
        self._payments[payment_key] = _Payment(payment_key, order_id, amount)

    def inject(self, op: str, fault: Fault, times: int = 1) -> None:
        self._faults[op].extend([fault] * times)

    def status(self, payment_key: str) -> str:
        return self._payments[payment_key].status

    # --- HTTP ----------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.secret_key}:".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _next_fault(self, op: str) -> Fault | None:
        queue = self._faults.get(op)
        return queue.pop(0) if queue else None

    async def _mutating(self, request: Request, op: str, handler: Any) -> Response:
        self.requests[op] += 1
        if not self._authorized(request):
            return _error(
                401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."
            )
        key = request.headers.get("idempotency-key")
        if key is not None and len(key) > 300:
            return _error(400, "INVALID_IDEMPOTENCY_KEY", "멱등키는 300자 이하여야 합니다.")
        slot = (request.method, request.url.path, key or "")
        if key is not None:
            if slot in self._replies:
                status, body = self._replies[slot]
                return JSONResponse(body, status_code=status)
            if slot in self._in_flight:
                return _error(
                    409, "IDEMPOTENT_REQUEST_PROCESSING", "이전 멱등 요청이 처리중입니다."
                )
            self._in_flight.add(slot)
        try:
            fault = self._next_fault(op)
            failed = await self._fail_before(fault)
            if failed is not None:
                return failed
            body = await request.json()
            async with self._lock:
                status, reply = handler(request, body)
            if key is not None:
                self._replies[slot] = (status, reply)
            if fault == Fault.TIMEOUT_AFTER:
                await asyncio.sleep(self.hang_s)
            return JSONResponse(reply, status_code=status)
        finally:
            self._in_flight.discard(slot)

    async def _fail_before(self, fault: Fault | None) -> Response | None:
        """The injected faults that answer (or hang) before anything is charged."""
        if fault == Fault.TIMEOUT_BEFORE:
            await asyncio.sleep(self.hang_s)
            return _error(504, "FAILED_INTERNAL_SYSTEM_PROCESSING", "timeout")
        if fault == Fault.SERVER_ERROR:
            return _error(
                500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다."
            )
        if fault == Fault.PROVIDER_ERROR:
            return _error(
                400, "PROVIDER_ERROR", "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."
            )
        return None

    async def _confirm(self, request: Request) -> Response:
        return await self._mutating(request, "confirm", self._do_confirm)

    def _do_confirm(self, _request: Request, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self._payments.get(str(body.get("paymentKey")))
        if payment is None or payment.order_id != body.get("orderId"):
            return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}
        if payment.status != "READY":
            return 400, {"code": "ALREADY_PROCESSED_PAYMENT", "message": "이미 처리된 결제 입니다."}
        if body.get("amount") != payment.amount:
            return 400, {"code": "INVALID_REQUEST", "message": "결제 금액이 일치하지 않습니다."}
        payment.status = "DONE"
        payment.balance = payment.amount
        payment.approved_at = datetime.now(KST).isoformat()
        self.charges[payment.payment_key] += 1
        return 200, payment.body()

    async def _cancel(self, request: Request) -> Response:
        return await self._mutating(request, "cancel", self._do_cancel)

    def _do_cancel(self, request: Request, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self._payments.get(request.path_params["payment_key"])
        if payment is None:
            return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}
        if payment.status == "READY":
            return 400, {
                "code": "NOT_CANCELABLE_PAYMENT",
                "message": "취소 할 수 없는 결제 입니다.",
            }
        if payment.status == "CANCELED":
            return 400, {"code": "ALREADY_CANCELED_PAYMENT", "message": "이미 취소된 결제 입니다."}
        amount = body.get("cancelAmount", payment.balance)
        if not isinstance(amount, int) or not 0 < amount <= payment.balance:
            return 400, {"code": "NOT_CANCELABLE_AMOUNT", "message": "취소 할 수 없는 금액 입니다."}
        payment.balance -= amount
        payment.status = "CANCELED" if payment.balance == 0 else "PARTIAL_CANCELED"
        payment.cancels.append(
            {
                "cancelAmount": amount,
                "cancelReason": str(body.get("cancelReason", "")),
                "canceledAt": datetime.now(KST).isoformat(),
                "transactionKey": f"tx-{payment.payment_key}-{len(payment.cancels) + 1}",
            }
        )
        return 200, payment.body()

    async def _get(self, request: Request) -> Response:
        self.requests["get"] += 1
        if not self._authorized(request):
            return _error(
                401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."
            )
        fault = self._next_fault("get")
        if fault == Fault.SERVER_ERROR:
            return _error(
                500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다."
            )
        payment = self._payments.get(request.path_params["payment_key"])
        if payment is None:
            return _error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
        return JSONResponse(payment.body())


def with_test_controls(server: TossContractServer) -> Starlette:
    """The server's app plus `/__test__/authorize` and `/__test__/charges` over HTTP."""

    async def authorize(request: Request) -> Response:
        body = await request.json()
        key, order, amount = body.get("paymentKey"), body.get("orderId"), body.get("amount")
        if not (isinstance(key, str) and isinstance(order, str) and isinstance(amount, int)):
            return _error(400, "INVALID_REQUEST", "paymentKey, orderId (text), amount (integer)")
        server.authorize(key, order, amount)
        return JSONResponse({"paymentKey": key, "orderId": order, "amount": amount})

    async def charges(_request: Request) -> Response:
        return JSONResponse({"charges": dict(server.charges), "requests": dict(server.requests)})

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/__test__/authorize", authorize, methods=["POST"]),
            Route("/__test__/charges", charges),
            Route("/__test__/healthz", healthz),
            Mount("/", app=server.app),
        ]
    )


def main() -> None:
    import uvicorn  # noqa: PLC0415 - only the standalone server needs it

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-key", required=True)
    args = parser.parse_args()
    app = with_test_controls(TossContractServer(args.secret_key))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
