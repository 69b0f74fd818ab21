"""The shape of the backend (docs/conventions.md): one package per domain with
`router`, `schemas`, `models` and `service`; routers without SQL that import no other router;
cross-domain services imported by module; every route with an `operation_id` and strict query
parameters.

A package with none of the four modules is a library (pure code such as a fee calculator or a
payment provider's client): it may hold no routes and no tables. Once it has one of the four, it
is a domain and needs all four."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest

import homecare_backend
from homecare_backend.config import Settings
from homecare_backend.main import create_app

PACKAGE = Path(homecare_backend.__file__).parent
NOT_DOMAINS = {"migrations"}
DOMAIN_MODULES = ("router", "schemas", "models", "service")
SQL_BUILDERS = {"select", "insert", "update", "delete", "text"}
SQL_RUNNERS = {"execute", "scalar", "scalars", "stream", "stream_scalars"}


def packages() -> list[Path]:
    return sorted(
        p.parent
        for p in PACKAGE.glob("*/__init__.py")
        if p.parent.name not in NOT_DOMAINS and not p.parent.name.startswith("_")
    )


def is_domain(package: Path) -> bool:
    return any((package / f"{m}.py").is_file() for m in DOMAIN_MODULES)


def domains() -> list[Path]:
    return [p for p in packages() if is_domain(p)]


def libraries() -> list[Path]:
    return [p for p in packages() if not is_domain(p)]


def sql_in(source: str) -> list[str]:
    """What in `source` builds or runs SQL: sqlalchemy imports, select()/…, session.execute()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"line {node.lineno}: imports {n}" for n in names if n.startswith("sqlalch")]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in SQL_BUILDERS:
                found.append(f"line {node.lineno}: {func.id}(")
            if isinstance(func, ast.Attribute) and func.attr in SQL_RUNNERS:
                found.append(f"line {node.lineno}: .{func.attr}(")
    return found


def imports_of(source: str) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every `from homecare_backend... import ...`."""
    return [
        (node.module, [alias.name for alias in node.names])
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("homecare_backend")
    ]


def test_the_package_has_the_domains_we_expect() -> None:
    names = {d.name for d in domains()}
    # A sanity floor: the walk finds the packages (and the test is not vacuously green).
    assert {"auth", "bookings", "caregivers", "dispatch", "notifications", "users"} <= names


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_every_domain_has_the_four_modules(domain: Path) -> None:
    missing = [m for m in DOMAIN_MODULES if not (domain / f"{m}.py").is_file()]
    assert not missing, f"{domain.name}/ lacks {', '.join(f'{m}.py' for m in missing)}"
    for module in DOMAIN_MODULES:
        tree = ast.parse((domain / f"{module}.py").read_text(encoding="utf-8"))
        definitions = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)
        assert any(isinstance(n, definitions) for n in tree.body), (
            f"{domain.name}/{module}.py defines nothing"
        )


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_routers_hold_no_sql(domain: Path) -> None:
    found = sql_in((domain / "router.py").read_text(encoding="utf-8"))
    assert not found, f"{domain.name}/router.py builds or runs SQL (move it to service.py): {found}"


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_routers_import_no_other_router(domain: Path) -> None:
    for module, _ in imports_of((domain / "router.py").read_text(encoding="utf-8")):
        parts = module.split(".")
        assert not (parts[-1] == "router" and parts[1] != domain.name), (
            f"{domain.name}/router.py imports {module}; main.py includes every router"
        )


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_other_domains_services_are_imported_by_module(domain: Path) -> None:
    for path in domain.glob("*.py"):
        for module, names in imports_of(path.read_text(encoding="utf-8")):
            parts = module.split(".")
            if len(parts) == 3 and parts[1] != domain.name and parts[2] == "service":
                pytest.fail(
                    f"{domain.name}/{path.name}: `from {module} import {', '.join(names)}`; "
                    f"write `from homecare_backend.{parts[1]} import service as "
                    f"{parts[1]}_service`"
                )


def test_libraries_hold_no_routes_and_no_tables() -> None:
    # Not parametrized: while every package is a full domain there is no library to list,
    # and an empty parameter set would show up as a skip.
    for path in (p for library in libraries() for p in library.rglob("*.py")):
        library = path.parent
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "APIRouter":
                pytest.fail(f"{library.name}/{path.name} has routes: make it a domain (router.py)")
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "Base" for b in node.bases
            ):
                pytest.fail(f"{library.name}/{path.name} has a table: make it a domain (models.py)")


def test_the_checks_catch_what_they_look_for() -> None:
    router_with_sql = (
        "from sqlalchemy import select\n"
        "async def handler(session):\n"
        "    await session.execute(select(Thing))\n"
        "    await session.scalar(text('SELECT 1'))\n"
        "@router.delete('/x')\n"  # a route decorator is not SQL
        "async def remove(): ...\n"
    )
    assert sorted(sql_in(router_with_sql)) == [
        "line 1: imports sqlalchemy",
        "line 3: .execute(",
        "line 3: select(",
        "line 4: .scalar(",
        "line 4: text(",
    ]


def _concrete(path: str) -> str:
    """A request path for an OpenAPI path template (any well-formed ids will do)."""
    path = path.replace("{notification_id}", "1").replace("{day}", "2030-01-01")
    return re.sub(r"\{[a-z_]+\}", "0192f0c4-6a1e-7c3b-9d2e-5f4a3b2c1d0e", path)


async def test_every_route_has_an_operation_id_and_strict_query_parameters() -> None:
    # Refusing unknown parameters is the first dependency of every route, so it answers before
    # authentication and without a database.
    app = create_app(Settings(env="test", log_level="WARNING"))
    operations = [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
    ]
    assert len(operations) > 20
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
        for method, path, operation in operations:
            # FastAPI's generated ids end in the path and method (`me_v1_me_get`).
            assert "_v1_" not in operation["operationId"], f"{method} {path}: no operation_id"
            answer = await http.request(method, f"{_concrete(path)}?not_a_parameter=1")
            assert answer.status_code == 422, (method, path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "unknown_query_parameter", (method, path)
    await app.state.hub.close()
    await app.state.engine.dispose()
