#!/usr/bin/env python3
"""An A2A agent talking to pacer with nothing but the standard library.

    PACER_URL=http://127.0.0.1:8081 PACER_API_KEY=pk_live_... python3 examples/a2a_client.py

Reads pacer's agent card, registers this agent, discovers agents with a capability in the same
tenant, then asks pacer (A2A 1.0 SendMessage) to run the get_activities skill and prints the result.
For the official A2A SDKs (Python and JavaScript) against pacer, see web-daemon/tests/a2a/.
"""
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

URL = os.environ.get("PACER_URL", "http://127.0.0.1:8081").rstrip("/")
KEY = os.environ.get("PACER_API_KEY", "")


def call(method: str, path: str, body=None, auth: bool = True):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("A2A-Version", "1.0")
    if auth:
        req.add_header("X-API-Key", KEY)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main() -> int:
    if not KEY:
        print("set PACER_API_KEY (see `pacerd demo` output or demo.json)", file=sys.stderr)
        return 2
    status, card = call("GET", "/.well-known/agent-card.json", auth=False)
    print(f"agent card: {card['name']} with {len(card['skills'])} skills ({status})")

    agent_id = f"example-agent-{uuid.uuid4().hex[:8]}"
    status, reg = call("POST", "/a2a/register", {
        "agent_id": agent_id,
        "capabilities": ["webhook", "training-summary"],
        "metadata": {"name": "Example agent", "version": "1.0.0"},
    })
    print(f"register: {status} {reg}")
    status, found = call("GET", "/a2a/agents/discover?capability=training-summary")
    print(f"discover: {status} {[a['agent_id'] for a in found.get('agents', [])]}")

    status, rpc = call("POST", "/a2a", {
        "jsonrpc": "2.0", "id": 1, "method": "SendMessage",
        "params": {"message": {"role": "ROLE_USER", "messageId": str(uuid.uuid4()), "parts": [
            {"data": {"skill": "get_activities", "arguments": {"limit": 3}}}]}},
    })
    if "error" in rpc:
        print(f"SendMessage error: {rpc['error']}")
        return 1
    task = rpc["result"]["task"]
    print(f"task {task['id']}: {task['status']['state']}")
    for artifact in task.get("artifacts", []):
        for part in artifact.get("parts", []):
            if "data" in part:
                for a in part["data"].get("activities", []):
                    print(f"  {a['start_date']}  {a['sport_type']:<12} {a['distance_m'] / 1000:6.1f} km  {a['name']}")
    return 0 if task["status"]["state"] == "TASK_STATE_COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
