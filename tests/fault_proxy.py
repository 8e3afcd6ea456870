#!/usr/bin/env python3
"""A TCP fault proxy for the chaos tests (python3 standard library only).

Listens on a loopback address, forwards every connection to an upstream (sweepd), and
injects faults between worker and coordinator:

  --delay-ms D [--jitter-ms J]  each chunk is held D (+ uniform 0..J) ms in each
                                direction, order kept (pure latency);
  --fault-every-ms M            a fault at random moments, M ms apart on average, each of
  --faults KINDS                  a kind from KINDS (comma separated):
                                  drop      close one connection (FIN both ways)
                                  reset     reset one connection (RST both ways)
                                  partition-up / partition-down
                                            stall every byte worker -> coordinator (up) or
                                            coordinator -> worker (down) for
                                            --partition-ms P, then deliver them (a
                                            partition that heals; TCP would retransmit)
  --max-faults N                at most N faults (bounded); --fault-window-s W: none after
                                W s (from then on only the delay, so a sweep can finish);
  --duration-s S                exit after S s.

Random choices come from --seed, so a run's schedule of faults repeats (the moments are
relative to the proxy's start). Prints "listening on HOST:PORT" on stdout once ready and
one line per fault on stderr. Loopback only: --listen and --upstream must be 127.0.0.1
or localhost.
"""
import argparse
import asyncio
import random
import signal
import socket
import struct
import sys
import time

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def host_port(text):
    host, _, port = text.rpartition(":")
    if host not in LOOPBACK:
        raise argparse.ArgumentTypeError(f"{text}: only loopback addresses (127.0.0.1)")
    try:
        return host, int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: expected HOST:PORT")


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.conns = {}  # id -> (client writer, upstream writer)
        self.next_id = 0
        self.partition_until = {"up": 0.0, "down": 0.0}
        self.t0 = time.monotonic()
        self.faults = 0
        self.counts = {}  # fault kind -> times injected
        self.connections = 0
        self.bytes = {"up": 0, "down": 0}

    def log(self, text):
        print(f"proxy: {time.monotonic() - self.t0:.2f} s {text}", file=sys.stderr, flush=True)

    async def handle(self, client_r, client_w):
        try:
            up_r, up_w = await asyncio.wait_for(
                asyncio.open_connection(*self.args.upstream), timeout=5)
        except (OSError, asyncio.TimeoutError):
            client_w.close()  # the coordinator is down: the worker sees a closed connection
            return
        cid = self.next_id
        self.next_id += 1
        self.connections += 1
        self.conns[cid] = (client_w, up_w)
        try:
            await asyncio.gather(self.pipe(client_r, up_w, "up"),
                                 self.pipe(up_r, client_w, "down"))
        finally:
            self.conns.pop(cid, None)
            for w in (client_w, up_w):
                w.close()

    async def pipe(self, reader, writer, direction):
        """Forwards reader -> writer with the delay and partitions of `direction`."""
        queue = asyncio.Queue(maxsize=256)  # bounded: a stalled direction back-pressures

        async def read():
            try:
                while True:
                    data = await reader.read(65536)
                    jitter = self.rng.uniform(0, self.args.jitter_ms) if self.args.jitter_ms else 0
                    due = time.monotonic() + (self.args.delay_ms + jitter) / 1000
                    await queue.put((due, data))
                    if not data:
                        return
            except (OSError, asyncio.IncompleteReadError):
                await queue.put((0, b""))

        async def write():
            last_due = 0.0
            while True:
                due, data = await queue.get()
                due = max(due, last_due)  # order kept even with jitter
                last_due = due
                while True:
                    wait = max(due, self.partition_until[direction]) - time.monotonic()
                    if wait <= 0:
                        break
                    await asyncio.sleep(min(wait, 0.05))
                if not data:
                    try:
                        writer.write_eof()
                    except OSError:
                        pass
                    return
                writer.write(data)
                self.bytes[direction] += len(data)
                try:
                    await writer.drain()
                except OSError:
                    return

        reader_task = asyncio.ensure_future(read())
        try:
            await write()
        finally:
            reader_task.cancel()

    def inject(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind.startswith("partition-"):
            direction = kind.split("-", 1)[1]
            self.partition_until[direction] = time.monotonic() + self.args.partition_ms / 1000
            self.log(f"{kind} for {self.args.partition_ms} ms")
            return
        if not self.conns:
            self.log(f"{kind}: no connection")
            return
        cid = self.rng.choice(sorted(self.conns))
        client_w, up_w = self.conns.pop(cid)
        for w in (client_w, up_w):
            if kind == "reset":
                sock = w.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                w.transport.abort()
            else:
                w.close()
        self.log(f"{kind} connection {cid}")

    async def schedule(self):
        kinds = [k for k in self.args.faults.split(",") if k]
        while self.args.fault_every_ms > 0 and kinds and self.faults < self.args.max_faults:
            await asyncio.sleep(self.rng.expovariate(1000 / self.args.fault_every_ms))
            if time.monotonic() - self.t0 > self.args.fault_window_s:
                self.log("fault window over")
                return
            self.inject(self.rng.choice(kinds))
            self.faults += 1


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    p.add_argument("--upstream", type=host_port, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--delay-ms", type=float, default=0)
    p.add_argument("--jitter-ms", type=float, default=0)
    p.add_argument("--fault-every-ms", type=float, default=0)
    p.add_argument("--faults", default="drop,reset,partition-up,partition-down")
    p.add_argument("--partition-ms", type=float, default=1000)
    p.add_argument("--max-faults", type=int, default=10000)
    p.add_argument("--fault-window-s", type=float, default=float("inf"))
    p.add_argument("--duration-s", type=float, default=3600)
    args = p.parse_args()
    for k in [k for k in args.faults.split(",") if k]:
        if k not in ("drop", "reset", "partition-up", "partition-down"):
            p.error(f"--faults: unknown kind {k!r} (drop, reset, partition-up, partition-down)")
    if min(args.delay_ms, args.jitter_ms, args.fault_every_ms, args.partition_ms) < 0:
        p.error("--delay-ms, --jitter-ms, --fault-every-ms, --partition-ms: must be >= 0")

    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, *args.listen)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    faults = asyncio.ensure_future(proxy.schedule())
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.duration_s)
    except asyncio.TimeoutError:
        pass
    faults.cancel()
    server.close()
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(proxy.counts.items())) or "none"
    proxy.log(f"done: {proxy.connections} connections, {proxy.bytes['up']} bytes up, "
              f"{proxy.bytes['down']} down; {proxy.faults} faults ({kinds})")


if __name__ == "__main__":
    asyncio.run(main())
