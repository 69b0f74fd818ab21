"""A stand-in ``pulumi-resource-random`` plugin for the Layer 2 e2e run: RandomPassword only.

The real plugin (github.com/pulumi/pulumi-random, a Terraform-bridged provider) is not served by
the Go module proxy reachable here, and plugins cannot be downloaded. The Pulumi program only uses
``random.RandomPassword``; this gRPC provider implements it with the same contract: the password
is generated once at create, kept in state as a secret, and any input change replaces it.
Run by the Pulumi engine as ``pulumi-resource-random ENGINE_ADDRESS``; prints its port.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import sys
import uuid
from typing import Any

import grpc  # type: ignore[import-untyped]
import grpc.aio  # type: ignore[import-untyped]
from google.protobuf import (  # type: ignore[import-untyped]
    empty_pb2,
    json_format,
    struct_pb2,
)
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc

VERSION = "4.21.4"  # the pulumi-random version requirements/infra.in pins
PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"  # noqa: S105 - a type token
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
INPUTS = (
    "length",
    "special",
    "upper",
    "lower",
    "numeric",
    "number",
    "minUpper",
    "minLower",
    "minNumeric",
    "minSpecial",
    "overrideSpecial",
    "keepers",
)


def _dict(message: struct_pb2.Struct) -> dict[str, Any]:
    values: dict[str, Any] = json_format.MessageToDict(message)
    return values


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def _unsecret(value: Any) -> Any:
    if isinstance(value, dict) and "value" in value and SECRET_SIG.items() <= value.items():
        return value["value"]
    return value


def generate(inputs: dict[str, Any]) -> str:
    """A password drawn with `secrets`, honouring the character-class flags and minimums."""
    length = int(_unsecret(inputs["length"]))
    classes = {
        "upper": (string.ascii_uppercase, inputs.get("upper", True), "minUpper"),
        "lower": (string.ascii_lowercase, inputs.get("lower", True), "minLower"),
        "numeric": (string.digits, inputs.get("numeric", inputs.get("number", True)), "minNumeric"),
        "special": (
            inputs.get("overrideSpecial", SPECIAL),
            inputs.get("special", True),
            "minSpecial",
        ),
    }
    chars: list[str] = []
    pool = ""
    for alphabet, enabled, minimum in classes.values():
        if enabled:
            pool += alphabet
            chars += [secrets.choice(alphabet) for _ in range(int(inputs.get(minimum, 0)))]
    if not pool:
        raise ValueError("RandomPassword needs at least one enabled character class")
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class RandomProvider(provider_pb2_grpc.ResourceProviderServicer):
    """The ResourceProvider gRPC service for RandomPassword (gRPC method names, hence N802)."""

    async def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.PluginInfo(version=VERSION)

    async def GetSchema(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema = json.dumps({"name": "random", "version": VERSION})
        return proto.GetSchemaResponse(schema=schema)

    async def CheckConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.CheckResponse(inputs=request.news)

    async def DiffConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_NONE)

    async def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.ConfigureResponse(
            acceptSecrets=True, acceptResources=True, acceptOutputs=True, supportsPreview=True
        )

    async def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.type != PASSWORD_TYPE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unsupported {request.type}")
        if "length" not in _dict(request.news):
            failure = proto.CheckFailure(property="length", reason="length is required")
            return proto.CheckResponse(inputs=request.news, failures=[failure])
        return proto.CheckResponse(inputs=request.news)

    async def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        olds, news = _dict(request.olds), _dict(request.news)
        changed = [k for k in INPUTS if _unsecret(olds.get(k)) != _unsecret(news.get(k))]
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
            replaces=changed,
            diffs=changed,
        )

    async def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        inputs = _dict(request.properties)
        result = UNKNOWN if request.preview else generate(inputs)
        outputs = {**inputs, "result": {**SECRET_SIG, "value": result}}
        return proto.CreateResponse(id=str(uuid.uuid4()), properties=_struct(outputs))

    async def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.ReadResponse(
            id=request.id, properties=request.properties, inputs=request.inputs
        )

    async def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.UpdateResponse(properties=request.olds)

    async def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()

    async def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()


async def serve() -> None:
    server = grpc.aio.server()
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(RandomProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve())
