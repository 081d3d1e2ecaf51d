"""A small HTTP/1.1 load generator: N concurrent keep-alive clients on loopback, bounded by a
request count and a time budget, recording each request's latency.

Written on asyncio streams (uvloop when installed) rather than a library client, so the
client's own cost per request stays small and the same for every engine measured.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Outcome:
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, completed 2xx requests
    errors: dict[str, int] = field(default_factory=dict)  # status or exception name → count
    unfinished: int = 0  # still running when the hard deadline passed
    seconds: float = 0.0

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        out = {"concurrency": self.concurrency, "requests": len(lat), "errors": self.errors, "unfinished": self.unfinished,
               "seconds": round(self.seconds, 3), "throughput_rps": round(len(lat) / self.seconds, 2) if self.seconds else None}
        if lat:
            out |= {"p50_ms": _ms(pct(lat, 50)), "p95_ms": _ms(pct(lat, 95)), "p99_ms": _ms(pct(lat, 99)),
                    "mean_ms": _ms(statistics.fmean(lat)), "min_ms": _ms(lat[0]), "max_ms": _ms(lat[-1])}
        return out


def _ms(s: float) -> float:
    return round(s * 1000, 3)


def pct(sorted_values: list[float], p: float) -> float:
    """The p-th percentile, nearest rank (no interpolation: with 32 samples p99 is the maximum)."""
    if not sorted_values:
        raise ValueError("no samples")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes, keep_body: bool = False) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    # trailers end with an empty line; the chunk read above took the CRLF
                    break
                if keep_body:
                    parts.append(chunk[:-2])
            body = b"".join(parts)
        elif "content-length" in headers:
            n = int(headers["content-length"])
            body = await self.reader.readexactly(n) if n else b""
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body if keep_body else b""


def request_bytes(url: str, accept: str) -> bytes:
    u = urlsplit(url)
    target = u.path + (f"?{u.query}" if u.query else "")
    return (f"GET {target} HTTP/1.1\r\nHost: {u.netloc}\r\nAccept: {accept}\r\n"
            f"User-Agent: zwgk-bench\r\n\r\n").encode("ascii")


async def fetch(url: str, accept: str, timeout: float) -> tuple[int, bytes, float]:
    """One request on a fresh connection: status, body, seconds."""
    u = urlsplit(url)
    conn = Connection(u.hostname, u.port)
    t0 = time.perf_counter()
    try:
        status, body = await asyncio.wait_for(conn.request(request_bytes(url, accept), keep_body=True), timeout)
    finally:
        conn.close()
    return status, body, time.perf_counter() - t0


async def load(url: str, accept: str, concurrency: int, max_requests: int, budget: float, hard: float) -> Outcome:
    """``concurrency`` clients send GET ``url`` until ``max_requests`` were sent or ``budget``
    seconds passed (but each client sends at least one); requests still running at ``hard``
    seconds are abandoned and counted as unfinished."""
    u = urlsplit(url)
    raw = request_bytes(url, accept)
    out = Outcome(concurrency)
    start = time.perf_counter()
    issued = 0

    async def client() -> None:
        nonlocal issued
        conn = Connection(u.hostname, u.port)
        first = True
        try:
            while True:
                now = time.perf_counter()
                if not first and (issued >= max_requests or now - start >= budget):
                    return
                first = False
                issued += 1
                t0 = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(conn.request(raw), max(0.001, hard - (t0 - start)))
                except asyncio.TimeoutError:
                    out.unfinished += 1
                    conn.close()
                    return
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    out.errors[type(exc).__name__] = out.errors.get(type(exc).__name__, 0) + 1
                    conn.close()
                    continue
                if 200 <= status < 300:
                    out.latencies.append(time.perf_counter() - t0)
                else:
                    out.errors[str(status)] = out.errors.get(str(status), 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    out.seconds = time.perf_counter() - start
    return out


def run(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def event_loop_name() -> str:
    try:
        import uvloop

        return f"uvloop {uvloop.__version__}"
    except ImportError:
        return "asyncio"
