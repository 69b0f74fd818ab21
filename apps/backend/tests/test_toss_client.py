"""The Toss client against a local server that follows Toss's documented API (real HTTP)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from homecare_backend.payments.provider import (
    ProviderError,
    ProviderStatus,
    ProviderUnavailableError,
)
from homecare_backend.payments.toss import TossClient
from homecare_devtools.toss_contract import Fault, TossContractServer

SECRET = "test_sk_contract_0123456789abcdef"

ServeAsgi = Callable[[Any], Awaitable[str]]


@pytest.fixture
async def toss(serve_asgi: ServeAsgi) -> tuple[TossContractServer, str]:
    server = TossContractServer(SECRET, hang_s=1.0)
    return server, await serve_asgi(server.app)


def client(url: str, **kwargs: Any) -> TossClient:
    options: dict[str, Any] = {"timeout_s": 0.4, "attempts": 3, "backoff_s": 0.01}
    options.update(kwargs)
    return TossClient(SECRET, url, **options)


async def test_confirm_get_and_idempotent_replay(toss: tuple[TossContractServer, str]) -> None:
    server, url = toss
    server.authorize("pk_1", "order-1", 42160)
    api = client(url)
    paid = await api.confirm("pk_1", "order-1", 42160, "confirm-order-1-1")
    assert (paid.status, paid.total_amount, paid.balance_amount) == (
        ProviderStatus.DONE,
        42160,
        42160,
    )
    assert paid.approved_at is not None
    again = await api.confirm("pk_1", "order-1", 42160, "confirm-order-1-1")
    assert again == paid
    fetched = await api.get("pk_1")
    assert fetched is not None
    assert fetched.status == ProviderStatus.DONE
    assert await api.get("pk_unknown") is None
    assert server.charges["pk_1"] == 1
    await api.aclose()


async def test_already_processed_payment(toss: tuple[TossContractServer, str]) -> None:
    server, url = toss
    server.authorize("pk_2", "order-2", 1000)
    api = client(url)
    await api.confirm("pk_2", "order-2", 1000, "k-a")
    with pytest.raises(ProviderError) as err:
        await api.confirm("pk_2", "order-2", 1000, "k-b")
    assert (err.value.http_status, err.value.code) == (400, "ALREADY_PROCESSED_PAYMENT")
    assert not err.value.temporary
    assert server.charges["pk_2"] == 1
    await api.aclose()


async def test_wrong_secret_key_is_refused(toss: tuple[TossContractServer, str]) -> None:
    server, url = toss
    server.authorize("pk_3", "order-3", 1000)
    api = TossClient("test_sk_wrong", url, timeout_s=1)
    with pytest.raises(ProviderError) as err:
        await api.confirm("pk_3", "order-3", 1000, "k")
    assert (err.value.http_status, err.value.code) == (401, "UNAUTHORIZED_KEY")
    assert server.charges["pk_3"] == 0
    await api.aclose()


async def test_provider_error_is_temporary_and_nothing_is_charged(
    toss: tuple[TossContractServer, str],
) -> None:
    server, url = toss
    server.authorize("pk_4", "order-4", 1000)
    server.inject("confirm", Fault.PROVIDER_ERROR)
    api = client(url)
    with pytest.raises(ProviderError) as err:
        await api.confirm("pk_4", "order-4", 1000, "attempt-1")
    assert err.value.code == "PROVIDER_ERROR"
    assert err.value.temporary
    assert server.charges["pk_4"] == 0
    paid = await api.confirm("pk_4", "order-4", 1000, "attempt-2")
    assert paid.status == ProviderStatus.DONE
    assert server.charges["pk_4"] == 1
    await api.aclose()


async def test_5xx_is_retried_with_the_same_key(toss: tuple[TossContractServer, str]) -> None:
    server, url = toss
    server.authorize("pk_5", "order-5", 1000)
    server.inject("confirm", Fault.SERVER_ERROR, times=2)
    api = client(url)
    paid = await api.confirm("pk_5", "order-5", 1000, "k")
    assert paid.status == ProviderStatus.DONE
    assert server.requests["confirm"] == 3
    assert server.charges["pk_5"] == 1

    server.authorize("pk_6", "order-6", 1000)
    server.inject("confirm", Fault.SERVER_ERROR, times=3)
    with pytest.raises(ProviderUnavailableError, match="HTTP 500 after 3 attempts"):
        await api.confirm("pk_6", "order-6", 1000, "k6")
    assert server.charges["pk_6"] == 0
    await api.aclose()


async def test_timeout_after_charge_is_retried_into_one_charge(
    toss: tuple[TossContractServer, str],
) -> None:
    server, url = toss
    server.authorize("pk_7", "order-7", 5000)
    server.inject("confirm", Fault.TIMEOUT_AFTER)
    api = client(url)
    paid = await api.confirm("pk_7", "order-7", 5000, "k7")
    assert paid.status == ProviderStatus.DONE
    assert server.requests["confirm"] == 2
    assert server.charges["pk_7"] == 1
    await api.aclose()


async def test_timeouts_without_answer_leave_the_outcome_to_reconcile(
    toss: tuple[TossContractServer, str],
) -> None:
    server, url = toss
    server.authorize("pk_8", "order-8", 5000)
    server.inject("confirm", Fault.TIMEOUT_BEFORE, times=2)
    api = client(url, attempts=2)
    with pytest.raises(ProviderUnavailableError):
        await api.confirm("pk_8", "order-8", 5000, "k8")
    fetched = await api.get("pk_8")
    assert fetched is not None
    assert not fetched.charged
    assert server.charges["pk_8"] == 0
    await api.aclose()


async def test_cancel_partial_then_rest(toss: tuple[TossContractServer, str]) -> None:
    server, url = toss
    server.authorize("pk_9", "order-9", 10000)
    api = client(url)
    await api.confirm("pk_9", "order-9", 10000, "c9")
    partial = await api.cancel("pk_9", "고객 취소 (24시간 이내)", 3000, "cancel-9-1")
    assert (partial.status, partial.balance_amount) == (ProviderStatus.PARTIAL_CANCELED, 7000)
    assert await api.cancel("pk_9", "고객 취소 (24시간 이내)", 3000, "cancel-9-1") == partial
    with pytest.raises(ProviderError) as err:
        await api.cancel("pk_9", "too much", 8000, "cancel-9-2")
    assert err.value.code == "NOT_CANCELABLE_AMOUNT"
    rest = await api.cancel("pk_9", "요양보호사 취소", None, "cancel-9-3")
    assert (rest.status, rest.balance_amount) == (ProviderStatus.CANCELED, 0)
    assert [c.amount for c in rest.cancels] == [3000, 7000]
    with pytest.raises(ProviderError) as err:
        await api.cancel("pk_9", "again", None, "cancel-9-4")
    assert err.value.code == "ALREADY_CANCELED_PAYMENT"
    await api.aclose()


async def test_idempotency_key_length(toss: tuple[TossContractServer, str]) -> None:
    _server, url = toss
    api = client(url)
    with pytest.raises(ValueError, match="1–300"):
        await api.confirm("pk", "order", 1, "x" * 301)
    await api.aclose()
    async with httpx.AsyncClient(base_url=url) as raw:
        response = await raw.post(
            "/v1/payments/confirm",
            json={"paymentKey": "pk", "orderId": "o", "amount": 1},
            headers={
                "Authorization": "Basic dGVzdF9za19jb250cmFjdF8wMTIzNDU2Nzg5YWJjZGVmOg==",
                "Idempotency-Key": "x" * 301,
            },
        )
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_IDEMPOTENCY_KEY")
