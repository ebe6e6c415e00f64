#!/usr/bin/env python3
"""List pacer's tools and fetch recent activities through pacer-mcp, with the official MCP SDK.

    pip install mcp
    PACER_API_KEY=pk_live_... python examples/mcp_client.py

Env: PACER_API_KEY (required), PACER_HOME (optional), PACER_MCP_BIN (default: pacer-mcp on PATH).
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(obj, snake: str, camel: str):
    """Reads a result field under the SDK 2.x (snake_case) or 1.x (camelCase) name."""
    value = getattr(obj, snake, None)
    return getattr(obj, camel, None) if value is None else value


async def main() -> int:
    key = os.environ.get("PACER_API_KEY")
    if not key:
        print("set PACER_API_KEY (see `pacerd demo` output or demo.json)", file=sys.stderr)
        return 2
    env = {"PACER_API_KEY": key, "PATH": os.environ.get("PATH", "")}
    if os.environ.get("PACER_HOME"):
        env["PACER_HOME"] = os.environ["PACER_HOME"]
    server = StdioServerParameters(command=os.environ.get("PACER_MCP_BIN", "pacer-mcp"), args=[], env=env)
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            info = field(init, "server_info", "serverInfo")
            print(f"server: {info.name} {info.version} (protocol {field(init, 'protocol_version', 'protocolVersion')})")
            tools = await session.list_tools()
            print("tools: " + ", ".join(sorted(t.name for t in tools.tools)))
            result = await session.call_tool("get_activities", {"limit": 5})
            if field(result, "is_error", "isError"):
                print("get_activities failed: " + " ".join(getattr(c, "text", "") for c in result.content))
                return 1
            data = field(result, "structured_content", "structuredContent") or json.loads(result.content[-1].text)
            activities = data.get("activities", data if isinstance(data, list) else [])
            print(f"activities: {len(activities)} returned")
            for a in activities:
                print(f"  {a.get('start_date')}  {a.get('sport_type'):<12} {a.get('distance_m', 0) / 1000:6.1f} km  {a.get('name')}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
