"""A peer for the interop tests: the Python websockets library (10.x, its
asyncio API) as client or server, driven by the Go test over stdin/stdout
with one JSON object per line.

    python3 python_peer.py '<config JSON>'

Requests {"id", "op", "args"} get replies {"id", "result"} or
{"id", "error"}. A server first prints {"event": "listening", "port"}.
Payloads never cross stdin/stdout: every message is reported as
{t: "text"|"binary", n: length, h: SHA-256 hex}.
"""

import asyncio
import hashlib
import json
import os
import ssl
import sys
import traceback

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import OP_PONG
from websockets.legacy.client import WebSocketClientProtocol, connect
from websockets.legacy.server import WebSocketServerProtocol, serve

cfg = json.loads(sys.argv[1])


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def summary(data):
    if isinstance(data, str):
        data, t = data.encode(), "text"
    else:
        t = "binary"
    return {"t": t, "n": len(data), "h": hashlib.sha256(data).hexdigest()}


UNIT = "interop ünïcödé € 😀 ".encode()


def text_payload(n, seq):
    """n bytes of compressible, valid UTF-8 with multi-byte characters; a
    character cut by the end is replaced with dots."""
    head = f"#{seq} ".encode()
    b = bytearray((head + UNIT * (n // len(UNIT) + 1))[:n])
    lead = n - 1
    while lead >= 0 and b[lead] & 0xC0 == 0x80:
        lead -= 1
    if lead >= 0:
        c = b[lead]
        size = 1 if c < 0x80 else 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2
        if lead + size > n:
            b[lead:] = b"." * (n - lead)
    return b.decode()


def payload(kind, n, seq):
    return text_payload(n, seq) if kind == "text" else os.urandom(n)


def split(data, frags):
    n = len(data)
    return [data[n * i // frags : n * (i + 1) // frags] for i in range(frags)]


pings = []  # payloads of the pings received, in hex
pongs = []  # payloads of the pongs received


class Recording:
    """Records the payload of each ping before answering it, and of each
    pong."""

    async def pong(self, data=b""):
        pings.append(bytes(data).hex())
        await super().pong(data)

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == OP_PONG:
            pongs.append(bytes(frame.data))
        return frame


class ClientProtocol(Recording, WebSocketClientProtocol):
    pass


class ServerProtocol(Recording, WebSocketServerProtocol):
    pass


def deflate_params(d):
    # Python's zlib cannot compress with an 8-bit window, so the tests never
    # ask for one here.
    return dict(
        server_no_context_takeover=bool(d.get("serverNoContextTakeover")),
        client_no_context_takeover=bool(d.get("clientNoContextTakeover")),
        server_max_window_bits=d.get("serverMaxWindowBits") or None,
    )


def extensions_info(ws, server):
    """The permessage-deflate parameters in force, in header syntax."""
    for ext in ws.extensions:
        if ext.name != "permessage-deflate":
            continue
        # remote/local are the peer and this side.
        srv_noctx, cli_noctx = ext.local_no_context_takeover, ext.remote_no_context_takeover
        srv_bits, cli_bits = ext.local_max_window_bits, ext.remote_max_window_bits
        if not server:
            srv_noctx, cli_noctx = cli_noctx, srv_noctx
            srv_bits, cli_bits = cli_bits, srv_bits
        s = "permessage-deflate"
        if srv_noctx:
            s += "; server_no_context_takeover"
        if cli_noctx:
            s += "; client_no_context_takeover"
        s += f"; server_max_window_bits={srv_bits}; client_max_window_bits={cli_bits}"
        return s
    return ""


class Peer:
    def __init__(self):
        self.ws = None
        self.connected = asyncio.get_running_loop().create_future()
        self.server = cfg["role"] == "server"
        self.headers = {}

    def close_info(self):
        ws = self.ws
        return {
            "code": ws.close_code,
            "reason": ws.close_reason,
            "wasClean": ws.close_code != 1006,
        }

    async def op_open(self):
        self.ws = await self.connected
        return {
            "protocol": self.ws.subprotocol or "",
            "extensions": extensions_info(self.ws, self.server),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }

    async def op_send(self, type, sizes, frags=0):
        sent = []
        for seq, n in enumerate(sizes):
            data = payload(type, n, seq)
            sent.append(summary(data))
            if frags and frags > 1:
                # An iterable sends the message fragmented, a frame per item.
                await self.ws.send(split(data, frags))
            else:
                await self.ws.send(data)
        return sent

    async def op_recv(self, n):
        return [summary(await self.ws.recv()) for _ in range(n)]

    async def op_echo(self, n):
        got = []
        for _ in range(n):
            data = await self.ws.recv()
            got.append(summary(data))
            await self.ws.send(data)
        return got

    async def op_ping(self, data):
        # The waiter completes on a pong carrying the same payload; the
        # payload reported is the one of the first pong that came back.
        seen = len(pongs)
        waiter = await self.ws.ping(data.encode())
        await waiter
        return {"data": pongs[seen].decode()}

    async def op_pings(self):
        return pings

    async def op_close(self, code, reason):
        await self.ws.close(code, reason)
        return self.close_info()

    async def op_closed(self):
        await self.ws.wait_closed()
        return self.close_info()


async def main():
    peer = Peer()
    common = dict(
        compression=None,
        subprotocols=cfg.get("protocols") or None,
        extra_headers=cfg.get("headers") or None,
        max_size=None,  # up to the 16 MiB the tests send, and more
        max_queue=None,
        ping_interval=None,  # no keepalive pings of its own
        close_timeout=5,
    )
    d = cfg.get("deflate")
    if cfg["role"] == "server":
        if d is not None:
            common["extensions"] = [
                ServerPerMessageDeflateFactory(
                    client_max_window_bits=d.get("clientMaxWindowBits") or None,
                    **deflate_params(d),
                )
            ]
        sslctx = None
        if cfg.get("tls"):
            sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            sslctx.load_cert_chain(cfg["tls"]["cert"], cfg["tls"]["key"])

        async def handler(ws):
            if peer.connected.done():
                return  # one connection per peer process
            peer.headers = dict(ws.request_headers.raw_items())
            peer.connected.set_result(ws)
            await ws.wait_closed()

        server = await serve(
            handler, "127.0.0.1", 0, ssl=sslctx, create_protocol=ServerProtocol, **common
        )
        out({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    else:
        if d is not None:
            common["extensions"] = [
                ClientPerMessageDeflateFactory(
                    client_max_window_bits=d.get("clientMaxWindowBits") or True,
                    **deflate_params(d),
                )
            ]
        sslctx = None
        if cfg.get("tls"):
            # Trust the test's own certificate.
            sslctx = ssl.create_default_context(cafile=cfg["tls"]["ca"])

        async def dial():
            try:
                ws = await connect(
                    cfg["url"], ssl=sslctx, create_protocol=ClientProtocol, **common
                )
                peer.headers = dict(ws.response_headers.raw_items())
                peer.connected.set_result(ws)
            except Exception as e:
                peer.connected.set_exception(e)

        asyncio.create_task(dial())

    reader = asyncio.StreamReader(limit=1 << 20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def run(req):
        try:
            result = await getattr(peer, "op_" + req["op"])(**(req.get("args") or {}))
            out({"id": req["id"], "result": result})
        except Exception:
            out({"id": req["id"], "error": traceback.format_exc()})

    while True:
        line = await reader.readline()
        if not line:
            return  # the Go test closed stdin
        asyncio.create_task(run(json.loads(line)))


asyncio.run(main())
