"""WebSocket load benchmark: N concurrent chats x T turns on the offline model against the demo account.

Starts ``activeintel serve`` in a subprocess on a fresh data folder (first start builds the demo account and
prints its key), then measures:

- errors (target 0): error events, runs that did not end with ``success``, dropped connections;
- turn latency (message sent -> ``run_ended``) p50/p95/max and time to the first event of the answer;
- turns per second over the load phase;
- server memory: RSS with no client, with N open idle connections (-> per connection), peak during the load;
- during the load, one **slow reader** (a raw socket with a tiny receive buffer that sends turns and never
  reads) and one **disconnect-and-resume** (a client drops mid-answer, reconnects, resumes from its last
  ``seq`` and must get every missed event exactly once, in order).

Not a test: run it by hand and read the figures.

    python benchmarks/bench_ws.py --chats 10 --turns 2        # quick check
    python benchmarks/bench_ws.py                              # 100 chats x 5 turns
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

PROMPTS = [
    "How did my last campaign do?",
    "What can you do?",
    "List my segments",
    "Show my automations",
    "How did my campaigns do in the last 90 days?",
    "List my lists",
    "Why did my last campaign not send?",
    "List my tags",
]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    first_event: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    turns: int = 0
    events: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def start_server(
    args: argparse.Namespace, data_dir: Path, port: int
) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "ACTIVEINTEL_DATA_DIR": str(data_dir),
        "ACTIVEINTEL_RATE_LIMIT_PER_MINUTE": "0",
        "ACTIVEINTEL_MODEL": "offline",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    command = [
        sys.executable,
        "-m",
        "activeintel",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--demo-contacts",
        str(args.contacts),
    ]
    log = open(data_dir / "server.log", "w")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    key = None
    deadline = time.monotonic() + 300
    assert proc.stdout is not None
    while key is None:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server exited; see {data_dir / 'server.log'}")
        match = re.search(r"(aik_[0-9a-f]{8}_[A-Za-z0-9_-]{43})", line)
        if match:
            key = match.group(1)
        if time.monotonic() > deadline:
            raise RuntimeError("no API key printed")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    return proc, key


async def connect(url: str, key: str) -> Any:
    conn = await websockets.connect(url, max_size=None, open_timeout=60)
    await conn.send(json.dumps({"type": "auth", "api_key": key}))
    ready = json.loads(await conn.recv())
    if ready["type"] != "ready":
        raise RuntimeError(f"not ready: {ready}")
    return conn


async def turn(conn: Any, thread_id: str | None, text: str, stats: Stats) -> str | None:
    """Send one message and read until its run ends; return the thread id."""
    started = time.perf_counter()
    await conn.send(json.dumps({"type": "message", "thread_id": thread_id, "text": text}))
    run_id = None
    first = None
    while True:
        message = json.loads(await asyncio.wait_for(conn.recv(), 120))
        stats.events += 1
        kind = message["type"]
        if kind == "accepted":
            run_id, thread_id = message["run_id"], message["thread_id"]
        elif kind == "error":
            stats.errors.append(f"{message.get('code')}: {message.get('message')}")
            if "seq" not in message:
                return thread_id
        elif (
            message.get("run_id") == run_id
            and kind in ("token", "tool_started", "final_answer")
            and first is None
        ):
            first = time.perf_counter() - started
        if kind == "run_ended" and message.get("run_id") == run_id:
            if message["status"] != "success":
                stats.errors.append(f"run ended {message['status']}")
            stats.latencies.append(time.perf_counter() - started)
            if first is not None:
                stats.first_event.append(first)
            stats.turns += 1
            return thread_id


async def chat(url: str, key: str, index: int, turns: int, stats: Stats, start: asyncio.Event) -> None:
    try:
        conn = await connect(url, key)
    except Exception as exc:  # noqa: BLE001  (counted as an error)
        stats.errors.append(f"connect: {exc!r}")
        return
    try:
        await start.wait()
        thread_id = None
        for t in range(turns):
            thread_id = await turn(conn, thread_id, PROMPTS[(index + t) % len(PROMPTS)], stats)
    except Exception as exc:  # noqa: BLE001
        stats.errors.append(f"chat {index}: {exc!r}")
    finally:
        await conn.close()


def _close_code(data: bytes) -> int | None:
    """Find a close frame in raw server-to-client WebSocket bytes (unmasked frames)."""
    i = 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length, i = int.from_bytes(data[i : i + 2], "big"), i + 2
        elif length == 127:
            length, i = int.from_bytes(data[i : i + 8], "big"), i + 8
        payload = data[i : i + length]
        i += length
        if opcode == 0x8 and len(payload) >= 2:
            return int.from_bytes(payload[:2], "big")
    return None


def _masked(text: str) -> bytes:
    payload, mask = text.encode(), os.urandom(4)
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def slow_reader(port: int, key: str, turns: int, done: asyncio.Event) -> dict[str, Any]:
    """Send turns on new chats and never read; afterwards, drain the socket and report how it ended."""

    def run() -> dict[str, Any]:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(
            b"GET /ws/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        sock.sendall(_masked(json.dumps({"type": "auth", "api_key": key})))
        for i in range(turns):
            sock.sendall(_masked(json.dumps({"type": "message", "text": PROMPTS[i % len(PROMPTS)]})))
        return {"sock": sock, "head": head}

    state = await asyncio.to_thread(run)
    await done.wait()
    sock: socket.socket = state["sock"]

    def drain() -> tuple[bytes, bool]:
        sock.settimeout(3)
        data = bytearray()
        eof = False
        try:
            while chunk := sock.recv(1 << 16):
                data += chunk
            eof = True
        except (TimeoutError, OSError):
            pass
        sock.close()
        return bytes(data), eof

    data, eof = await asyncio.to_thread(drain)
    return {"bytes_received": len(data), "close_code": _close_code(data), "server_closed": eof}


async def disconnect_and_resume(url: str, key: str, start: asyncio.Event) -> dict[str, Any]:
    await start.wait()
    conn = await connect(url, key)
    await conn.send(json.dumps({"type": "message", "text": "How did my campaigns do in the last 90 days?"}))
    seqs: list[int] = []
    run_id = None
    while len(seqs) < 3:
        message = json.loads(await conn.recv())
        if message["type"] == "accepted":
            run_id = message["run_id"]
        elif message.get("run_id") == run_id and "seq" in message:
            seqs.append(message["seq"])
    await conn.close()
    await asyncio.sleep(0.5)
    conn = await connect(url, key)
    await conn.send(json.dumps({"type": "resume", "run_id": run_id, "last_seq": seqs[-1]}))
    while True:
        message = json.loads(await asyncio.wait_for(conn.recv(), 120))
        if message.get("run_id") == run_id and "seq" in message:
            seqs.append(message["seq"])
            if message["type"] == "run_ended":
                break
        elif message["type"] in ("error", "snapshot"):
            seqs.append(-1)
            break
    await conn.close()
    exactly_once = seqs == list(range(1, len(seqs) + 1))
    return {"events": len(seqs), "dropped_after": 3, "exactly_once_in_order": exactly_once}


async def main(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="bench_ws_"))
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws/chat"
    started = time.perf_counter()
    proc, key = await start_server(args, data_dir, port)
    print(
        f"server up in {time.perf_counter() - started:.1f} s (pid {proc.pid}, {args.contacts:,} demo "
        f"contacts, data {data_dir})"
    )
    try:
        warm = Stats()
        conn = await connect(url, key)
        for prompt in PROMPTS:  # warm up every tool path once
            await turn(conn, None, prompt, warm)
        await conn.close()
        await asyncio.sleep(1.0)
        rss_base = rss_mib(proc.pid)

        idle = [await connect(url, key) for _ in range(args.chats)]
        await asyncio.sleep(1.0)
        rss_idle = rss_mib(proc.pid)
        for conn in idle:
            await conn.close()
        await asyncio.sleep(1.0)

        stats = Stats()
        go = asyncio.Event()
        finished = asyncio.Event()
        peak = rss_mib(proc.pid)
        chats = [asyncio.create_task(chat(url, key, i, args.turns, stats, go)) for i in range(args.chats)]
        slow = asyncio.create_task(slow_reader(port, key, args.slow_turns, finished))
        resume = asyncio.create_task(disconnect_and_resume(url, key, go))
        await asyncio.sleep(2.0)  # every chat connected and authenticated
        load_start = time.perf_counter()
        cpu_start = cpu_seconds(proc.pid)
        go.set()
        while not all(c.done() for c in chats):
            peak = max(peak, rss_mib(proc.pid))
            await asyncio.sleep(0.2)
        load_time = time.perf_counter() - load_start
        load_cpu = cpu_seconds(proc.pid) - cpu_start
        resumed = await resume
        await asyncio.sleep(args.slow_wait)
        finished.set()
        slow_result = await slow
        rss_after = rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    expected = args.chats * args.turns
    lat, first = stats.latencies, stats.first_event
    per_turn_ms = load_cpu / max(1, stats.turns) * 1000
    per_conn_kib = (rss_idle - rss_base) * 1024 / args.chats
    if slow_result["close_code"]:
        slow_end = f"closed by the server with {slow_result['close_code']}"
    elif slow_result["server_closed"]:
        slow_end = "closed by the server without a close frame"
    else:
        slow_end = "still open (everything it was sent fit in the socket buffers)"
    rows = [
        ("completed turns", f"{stats.turns} / {expected}"),
        ("errors", f"{len(stats.errors)}" + (f"  (first: {stats.errors[0]})" if stats.errors else "")),
        (
            "turn latency",
            f"p50 {percentile(lat, 0.5):.2f} s   p95 {percentile(lat, 0.95):.2f} s   "
            f"max {max(lat, default=float('nan')):.2f} s",
        ),
        ("first event", f"p50 {percentile(first, 0.5):.2f} s   p95 {percentile(first, 0.95):.2f} s"),
        (
            "throughput",
            f"{stats.turns / load_time:.1f} turns/s over {load_time:.1f} s "
            f"({stats.events / load_time:.0f} events/s)",
        ),
        (
            "server CPU",
            f"{per_turn_ms:.0f} ms per turn; {load_cpu / load_time:.2f} of {os.cpu_count()} cores busy",
        ),
        (
            "server RSS",
            f"{rss_base:.0f} MiB before; {rss_idle:.0f} MiB with {args.chats} open connections "
            f"({per_conn_kib:.0f} KiB each); peak {peak:.0f} MiB under load; {rss_after:.0f} MiB after",
        ),
        (
            "slow reader",
            f"sent {args.slow_turns} turns, never read; got {slow_result['bytes_received']:,} bytes; "
            f"{slow_end}",
        ),
        (
            "disconnect + resume",
            f"{resumed['events']} events, dropped after {resumed['dropped_after']}, "
            f"exactly once in order: {resumed['exactly_once_in_order']}",
        ),
    ]
    print(f"\n{args.chats} concurrent chats x {args.turns} turns = {expected} turns on the offline model")
    for name, value in rows:
        print(f"  {name:<21}{value}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "chats": args.chats,
                    "turns": args.turns,
                    "completed": stats.turns,
                    "errors": stats.errors,
                    "p50": percentile(stats.latencies, 0.5),
                    "p95": percentile(stats.latencies, 0.95),
                    "turns_per_s": stats.turns / load_time,
                    "rss_base_mib": rss_base,
                    "rss_idle_mib": rss_idle,
                    "rss_peak_mib": peak,
                    "slow_reader": slow_result,
                    "resume": resumed,
                    "run": uuid.uuid4().hex,
                },
                indent=2,
            )
        )
    return 0 if not stats.errors and stats.turns == expected and resumed["exactly_once_in_order"] else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=100, help="concurrent chats (default 100)")
    parser.add_argument("--turns", type=int, default=5, help="turns per chat (default 5)")
    parser.add_argument("--contacts", type=int, default=2000, help="demo account size (default 2000)")
    parser.add_argument("--slow-turns", type=int, default=30, help="turns the slow reader sends (default 30)")
    parser.add_argument(
        "--slow-wait",
        type=float,
        default=15.0,
        help="seconds to leave the slow reader after the load (default 15; the send timeout is 10)",
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp folder)"
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    sys.exit(asyncio.run(main(parser.parse_args())))
