"""Slow and greedy HTTPS clients, for the servers' header timeout and connection bound."""

import asyncio
import ssl
import time
from dataclasses import dataclass

REQUEST_LINE = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    context: ssl.SSLContext


async def connect(endpoint: Endpoint) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(endpoint.host, endpoint.port, ssl=endpoint.context)


async def dribble(endpoint: Endpoint, *, interval_s: float, give_up_s: float) -> float:
    """Send a request line a byte at a time, never ending the headers; the seconds until
    the server closed the connection (`give_up_s` when it never did)."""
    reader, writer = await connect(endpoint)
    started = time.monotonic()
    try:
        for byte in REQUEST_LINE * 1000:
            if time.monotonic() - started > give_up_s:
                return give_up_s
            try:
                writer.write(bytes([byte]))
                await writer.drain()
                if await _closed_within(reader, interval_s):
                    return time.monotonic() - started
            except (ConnectionError, ssl.SSLError):
                return time.monotonic() - started
        return give_up_s
    finally:
        writer.close()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(65536), timeout=seconds)
    except TimeoutError:
        return False
    except (ConnectionError, ssl.SSLError):
        return True
    return data == b"" or reader.at_eof()


async def healthz(endpoint: Endpoint) -> int:
    """One plain request on a fresh connection: its status code."""
    reader, writer = await connect(endpoint)
    try:
        writer.write(REQUEST_LINE + b"Connection: close\r\n\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        return int(status_line.split()[1])
    finally:
        writer.close()


async def slowloris(
    endpoint: Endpoint, *, clients: int, header_timeout_s: float
) -> tuple[list[float], list[int]]:
    """`clients` dribbling connections, with normal requests made meanwhile: how long
    each slow one lasted, and the status codes of the normal ones."""
    give_up = header_timeout_s * 6
    slow = [
        asyncio.ensure_future(dribble(endpoint, interval_s=0.2, give_up_s=give_up))
        for _ in range(clients)
    ]
    codes = []
    try:
        for _ in range(5):
            await asyncio.sleep(header_timeout_s / 4)
            codes.append(await healthz(endpoint))
        lasted = list(await asyncio.gather(*slow))
    finally:
        for task in slow:
            task.cancel()
        await asyncio.gather(*slow, return_exceptions=True)
    return lasted, codes
