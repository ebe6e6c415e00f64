#!/usr/bin/env python3
"""The official A2A Python SDK (PyPI a2a-sdk) against a real pacer: card resolution,
SendMessage with a data part, a text part and plain language, GetTask and an unknown task over
the SDK's A2A 1.0 transport, then the same send and read-back over its 0.3 compatibility
transport. Run by scripts/a2a-check:

    PACER_URL=http://127.0.0.1:8081 PACER_API_KEY=pk_live_... .venv/bin/python sdk_check.py

Prints one line per check and "a2a-python: N passed, M failed"; exits 1 when a check fails.
"""
import asyncio
import os
import sys
import uuid

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.compat.v0_3.jsonrpc_transport import CompatJsonRpcTransport
from a2a.types import GetTaskRequest, Message, Part, Role, SendMessageRequest, TaskState
from a2a.utils.errors import TaskNotFoundError
from google.protobuf import json_format, struct_pb2

URL = os.environ.get("PACER_URL", "http://127.0.0.1:8081").rstrip("/")
KEY = os.environ.get("PACER_API_KEY", "")
RESULTS: list[bool] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    RESULTS.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} python: {name}" + (f" ({detail})" if detail else ""))


def request(part: Part) -> SendMessageRequest:
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[part])
    return SendMessageRequest(message=message)


def data_part(value: dict) -> Part:
    data = struct_pb2.Value()
    json_format.ParseDict(value, data)
    return Part(data=data)


def data_of(task) -> dict:
    """The first data part of a task's first artifact, as JSON."""
    for artifact in task.artifacts:
        for part in artifact.parts:
            if part.HasField("data"):
                return json_format.MessageToDict(part.data)
    return {}


async def send(client, part: Part):
    """The last response of client.send_message (a StreamResponse)."""
    last = None
    async for event in client.send_message(request(part)):
        last = event
    return last


async def attempt(name: str, body) -> None:
    try:
        await body()
    except Exception as e:  # noqa: BLE001 - a failed check, reported with its cause
        check(name, False, f"{type(e).__name__}: {e}")


async def main() -> None:
    if not KEY:
        print("set PACER_API_KEY", file=sys.stderr)
        sys.exit(2)
    async with httpx.AsyncClient(headers={"X-API-Key": KEY}, timeout=30) as http:
        card = await A2ACardResolver(http, URL).get_agent_card()
        first = card.supported_interfaces[0]
        check(
            "card resolution",
            card.name == "pacer" and len(card.skills) > 0 and first.protocol_version == "1.0",
            f"{card.name}, {len(card.skills)} skills, {first.protocol_binding} {first.protocol_version}",
        )
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
        task_id = ""

        async def data() -> None:
            nonlocal task_id
            event = await send(client, data_part({"skill": "get_activities", "arguments": {"limit": 3}}))
            task = event.task
            task_id = task.id
            activities = data_of(task).get("activities", [])
            check(
                "SendMessage with a data part",
                task.status.state == TaskState.TASK_STATE_COMPLETED and len(activities) == 3,
                f"task {task.id}: {TaskState.Name(task.status.state)}, {len(activities)} activities",
            )

        async def text() -> None:
            event = await send(client, Part(text="get_activities limit 2"))
            activities = data_of(event.task).get("activities", [])
            check(
                "SendMessage with a text part",
                event.task.status.state == TaskState.TASK_STATE_COMPLETED and len(activities) == 2,
                f"{len(activities)} activities",
            )

        async def plain() -> None:
            event = await send(client, Part(text="How far did I run last week?"))
            said = event.message.parts[0].text if event.HasField("message") else ""
            check(
                "plain language lists the skills",
                event.message.role == Role.ROLE_AGENT and said.startswith("unknown skill") and "get_activities" in said,
                said[:60],
            )

        async def get_task() -> None:
            task = await client.get_task(GetTaskRequest(id=task_id))
            check(
                "GetTask",
                task.id == task_id and task.status.state == TaskState.TASK_STATE_COMPLETED
                and len(data_of(task).get("activities", [])) == 3,
                TaskState.Name(task.status.state),
            )

        async def unknown_task() -> None:
            try:
                await client.get_task(GetTaskRequest(id="no-such-task"))
                check("unknown task is TaskNotFoundError", False, "no error")
            except TaskNotFoundError as e:
                check("unknown task is TaskNotFoundError", True, str(e)[:60])

        async def compat_v03() -> None:
            # The SDK's 0.3 transport (message/send, tasks/get, A2A-Version: 0.3) on the 0.3 interface.
            v03 = next(i for i in card.supported_interfaces if i.protocol_version == "0.3")
            transport = CompatJsonRpcTransport(http, card, v03.url, is_shared_httpx=True)
            sent = await transport.send_message(request(data_part({"skill": "get_activities", "arguments": {"limit": 1}})))
            again = await transport.get_task(GetTaskRequest(id=sent.task.id))
            check(
                "0.3 compat transport: send and GetTask",
                sent.task.status.state == TaskState.TASK_STATE_COMPLETED
                and again.id == sent.task.id and len(data_of(again).get("activities", [])) == 1,
                TaskState.Name(again.status.state),
            )

        for name, body in [
            ("SendMessage with a data part", data),
            ("SendMessage with a text part", text),
            ("plain language lists the skills", plain),
            ("GetTask", get_task),
            ("unknown task is TaskNotFoundError", unknown_task),
            ("0.3 compat transport: send and GetTask", compat_v03),
        ]:
            await attempt(name, body)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - card resolution itself failed
        check("card resolution", False, f"{type(e).__name__}: {e}")
    failed = RESULTS.count(False)
    print(f"a2a-python: {len(RESULTS) - failed} passed, {failed} failed")
    sys.exit(0 if RESULTS and failed == 0 else 1)
