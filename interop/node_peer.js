'use strict';
// A peer for the interop tests: the ws library as client or server, driven
// by the Go test over stdin/stdout with one JSON object per line.
//
//   node node_peer.js '<config JSON>'
//
// Requests {"id", "op", "args"} get replies {"id", "result"} or
// {"id", "error"}. A server first prints {"event": "listening", "port"}.
// Payloads never cross stdin/stdout: every message is reported as
// {t: "text"|"binary", n: length, h: SHA-256 hex}.

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const readline = require('readline');
const { WebSocket, WebSocketServer } = require('ws');

const cfg = JSON.parse(process.argv[2]);

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function summary(isBinary, buf) {
  return {
    t: isBinary ? 'binary' : 'text',
    n: buf.length,
    h: crypto.createHash('sha256').update(buf).digest('hex'),
  };
}

// textPayload makes n bytes of compressible, valid UTF-8 with multi-byte
// characters; a character cut by the end is replaced with dots.
const UNIT = Buffer.from('interop ünïcödé € 😀 ', 'utf8');
function textPayload(n, seq) {
  const b = Buffer.alloc(n, '.');
  let off = Buffer.from(`#${seq} `).copy(b, 0);
  while (off < n) off += UNIT.copy(b, off);
  let lead = n - 1;
  while (lead >= 0 && (b[lead] & 0xc0) === 0x80) lead--;
  if (lead >= 0) {
    const c = b[lead];
    const len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (lead + len > n) b.fill('.', lead);
  }
  return b;
}

function payload(type, n, seq) {
  return type === 'text' ? textPayload(n, seq) : crypto.randomBytes(n);
}

// deflateOptions maps the test's permessage-deflate settings to ws's.
// Threshold 0 compresses every message, however small.
function deflateOptions(d) {
  if (!d) return false;
  const o = { threshold: 0 };
  if (d.serverNoContextTakeover) o.serverNoContextTakeover = true;
  if (d.clientNoContextTakeover) o.clientNoContextTakeover = true;
  if (d.serverMaxWindowBits) o.serverMaxWindowBits = d.serverMaxWindowBits;
  if (d.clientMaxWindowBits) o.clientMaxWindowBits = d.clientMaxWindowBits;
  return o;
}

let ws = null;
let headersSeen = {};
let opened, openFailed; // settle the promise of the connection being open
const connected = new Promise((resolve, reject) => {
  opened = resolve;
  openFailed = reject;
});
connected.catch(() => {}); // reported by the open op
const inbox = [];
let inboxWaiter = null;
const pings = [];
let closeInfo = null;
let closeWaiters = [];
let pongWaiter = null;

function attach(sock) {
  ws = sock;
  ws.on('message', (data, isBinary) => {
    inbox.push({ isBinary, data });
    if (inboxWaiter) inboxWaiter();
  });
  ws.on('ping', (data) => pings.push(data.toString('hex')));
  ws.on('pong', (data) => {
    if (pongWaiter) pongWaiter(data);
  });
  ws.on('close', (code, reason) => {
    // ws reports 1006 when the connection ended without a close frame;
    // it has no wasClean of its own.
    closeInfo = { code, reason: reason.toString(), wasClean: code !== 1006 };
    for (const w of closeWaiters) w(closeInfo);
    closeWaiters = [];
    if (inboxWaiter) inboxWaiter();
  });
  ws.on('error', (err) => process.stderr.write(`ws error: ${err.stack}\n`));
}

function nextMessage() {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (inbox.length > 0) {
        inboxWaiter = null;
        resolve(inbox.shift());
      } else if (closeInfo) {
        inboxWaiter = null;
        reject(new Error(`connection closed: ${JSON.stringify(closeInfo)}`));
      } else {
        inboxWaiter = check;
      }
    };
    check();
  });
}

function waitClosed() {
  if (closeInfo) return Promise.resolve(closeInfo);
  return new Promise((resolve) => closeWaiters.push(resolve));
}

function sendAsync(data, opts) {
  return new Promise((resolve, reject) =>
    ws.send(data, opts, (err) => (err ? reject(err) : resolve()))
  );
}

function info() {
  let extensions = '';
  const pmd = ws._extensions && ws._extensions['permessage-deflate'];
  if (pmd) {
    // The parameters in force, in header syntax.
    extensions = 'permessage-deflate';
    for (const [k, v] of Object.entries(pmd.params)) {
      extensions += v === true ? `; ${k}` : `; ${k}=${v}`;
    }
  }
  return { protocol: ws.protocol, extensions, headers: headersSeen };
}

const ops = {
  async open() {
    await connected;
    return info();
  },
  // send sends one message per size, each cut into frags fragments when
  // frags > 1, and reports what it sent.
  async send({ type, sizes, frags }) {
    const sent = [];
    let last = Promise.resolve();
    sizes.forEach((n, seq) => {
      const data = payload(type, n, seq);
      sent.push(summary(type === 'binary', data));
      const binary = type === 'binary';
      if (!frags || frags < 2) {
        last = sendAsync(data, { binary });
        return;
      }
      for (let i = 0; i < frags; i++) {
        const piece = data.subarray(
          Math.floor((n * i) / frags),
          Math.floor((n * (i + 1)) / frags)
        );
        last = sendAsync(piece, { binary, fin: i === frags - 1 });
      }
    });
    await last;
    return sent;
  },
  async recv({ n }) {
    const got = [];
    for (let i = 0; i < n; i++) {
      const m = await nextMessage();
      got.push(summary(m.isBinary, m.data));
    }
    return got;
  },
  async echo({ n }) {
    const got = [];
    for (let i = 0; i < n; i++) {
      const m = await nextMessage();
      got.push(summary(m.isBinary, m.data));
      await sendAsync(m.data, { binary: m.isBinary });
    }
    return got;
  },
  async ping({ data }) {
    const pong = new Promise((resolve) => (pongWaiter = resolve));
    ws.ping(Buffer.from(data, 'utf8'));
    const got = await pong;
    pongWaiter = null;
    return { data: got.toString('utf8') };
  },
  async pings() {
    return pings;
  },
  async close({ code, reason }) {
    ws.close(code, reason);
    return waitClosed();
  },
  async closed() {
    return waitClosed();
  },
};

function startServer() {
  const server = cfg.tls
    ? https.createServer({
        cert: fs.readFileSync(cfg.tls.cert),
        key: fs.readFileSync(cfg.tls.key),
      })
    : http.createServer();
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: deflateOptions(cfg.deflate),
    handleProtocols: (offered) =>
      (cfg.protocols || []).find((p) => offered.has(p)) || false,
  });
  wss.on('headers', (headers) => {
    for (const [k, v] of Object.entries(cfg.headers || {})) {
      headers.push(`${k}: ${v}`);
    }
  });
  wss.on('connection', (sock, req) => {
    if (ws) {
      sock.terminate(); // one connection per peer process
      return;
    }
    headersSeen = req.headers;
    attach(sock);
    opened();
  });
  server.listen(0, '127.0.0.1', () =>
    out({ event: 'listening', port: server.address().port })
  );
}

function startClient() {
  const opts = {
    headers: cfg.headers || {},
    perMessageDeflate: deflateOptions(cfg.deflate),
    handshakeTimeout: 10000,
  };
  if (cfg.tls) opts.ca = fs.readFileSync(cfg.tls.ca); // trust the test's own certificate
  const sock = new WebSocket(cfg.url, cfg.protocols || [], opts);
  sock.on('upgrade', (res) => (headersSeen = res.headers));
  sock.on('open', () => opened());
  sock.on('error', (err) => openFailed(err)); // no effect once open
  attach(sock);
}

if (cfg.role === 'server') startServer();
else startClient();

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, args } = JSON.parse(line);
  try {
    if (!ops[op]) throw new Error(`unknown op ${op}`);
    out({ id, result: await ops[op](args || {}) });
  } catch (err) {
    out({ id, error: String(err && err.stack ? err.stack : err) });
  }
});
// The Go test ends the process by closing stdin or killing it.
process.stdin.on('end', () => process.exit(0));
