// Generated from packages/runtime (@slipway/runtime) by packages/runtime/scripts/build.mjs: do not edit.
// packages/runtime/src/evaluate.ts
import { createHash } from "node:crypto";
function evaluate(name, state, key) {
  if (!state.on) return { value: false, reason: "off" };
  if (key !== void 0 && state.allow?.includes(key)) return { value: true, reason: "allow-list" };
  if (state.percent === void 0 || state.percent >= 100) return { value: true, reason: "on" };
  if (key === void 0) return { value: false, reason: "no-key" };
  return bucket(name, key) < state.percent * 100 ? { value: true, reason: "in-rollout" } : { value: false, reason: "outside-rollout" };
}
function bucket(name, key) {
  return createHash("sha256").update(`${name}\0${key}`).digest().readUInt32BE(0) % 1e4;
}

// packages/runtime/src/sse.ts
var SseParser = class {
  buffer = "";
  push(chunk) {
    this.buffer += chunk.replaceAll("\r\n", "\n");
    const out = [];
    let end = this.buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) out.push({ event, data: data.join("\n") });
      end = this.buffer.indexOf("\n\n");
    }
    return out;
  }
};

// packages/runtime/src/transport.ts
import { isIP } from "node:net";
import { connect as connectTls } from "node:tls";
async function send(url, o) {
  const target = new URL(url);
  const https = target.protocol === "https:";
  const { request } = https ? await import("node:https") : await import("node:http");
  const pin = o.fingerprint === void 0 ? void 0 : normalize(o.fingerprint);
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: o.method ?? "GET",
      headers: o.headers,
      signal: o.signal,
      ...https ? { createConnection: verifiedConnection(target, pin) } : {}
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end(o.body);
  });
}
function verifiedConnection(url, pin) {
  return (_opts, ready) => {
    const servername = isIP(url.hostname) ? void 0 : url.hostname;
    const socket = connectTls({
      host: url.hostname,
      port: Number(url.port || 443),
      ...servername ? { servername } : {},
      ALPNProtocols: ["http/1.1"],
      // With a pin the CA check is replaced, not skipped: the fingerprint is compared below.
      rejectUnauthorized: pin === void 0
    });
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      if (err) socket.destroy();
      ready(err, socket);
    };
    socket.once("secureConnect", () => {
      const seen = normalize(socket.getPeerCertificate().fingerprint256 ?? "");
      if (pin !== void 0 && seen !== pin)
        return finish(
          new Error(
            `${url.host} presented a certificate with fingerprint ${seen}, not the pinned ${pin}: nothing was sent`
          )
        );
      finish(null);
    });
    socket.once("error", finish);
    return void 0;
  };
}
var normalize = (fingerprint) => `sha256:${fingerprint.trim().replace(/^sha256:/i, "").replaceAll(":", "").toLowerCase()}`;

// packages/runtime/src/stream.ts
function followStream(o) {
  let connected = false;
  let closed = false;
  let delay = o.backoff.initialMs;
  let aborter;
  let retry;
  const connect = async () => {
    if (closed || !o.url) return;
    aborter = new AbortController();
    const ac = aborter;
    let idle;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () => ac.abort(new Error(`no data from ${o.url} for ${o.idleMs} ms`)),
        o.idleMs
      ).unref();
    };
    try {
      touch();
      const res = await send(o.url, {
        headers: { accept: "text/event-stream", ...o.token ? { authorization: `Bearer ${o.token}` } : {} },
        ...o.fingerprint ? { fingerprint: o.fingerprint } : {},
        signal: ac.signal
      });
      if (res.statusCode !== 200)
        throw new Error(`${o.event} stream answered ${res.statusCode}: ${await textOf(res)}`);
      connected = true;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res) {
        touch();
        for (const e of parser.push(decoder.decode(chunk, { stream: true })))
          if (e.event === o.event) o.onData(JSON.parse(e.data));
      }
      throw new Error(`${o.event} stream ended`);
    } catch (e) {
      if (!closed) o.onError?.(e instanceof Error ? e : new Error(String(e)));
    } finally {
      clearTimeout(idle);
      connected = false;
    }
    if (closed) return;
    retry = setTimeout(() => void connect(), delay * (0.8 + Math.random() * 0.4)).unref();
    delay = Math.min(delay * 2, o.backoff.maxMs);
  };
  void connect();
  return {
    get connected() {
      return connected;
    },
    /** A good message arrived: the next failure starts the backoff again from the beginning. */
    resetBackoff() {
      delay = o.backoff.initialMs;
    },
    close() {
      closed = true;
      clearTimeout(retry);
      aborter?.abort();
    }
  };
}
async function textOf(res) {
  const chunks = [];
  for await (const chunk of res) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

// packages/runtime/src/flags.ts
function flags(options = {}) {
  const url = options.url ?? process.env.SLIPWAY_FLAGS_URL;
  const token = options.token ?? process.env.SLIPWAY_FLAGS_TOKEN;
  const defaults = options.defaults ?? parseDefaults(process.env.SLIPWAY_FLAGS_DEFAULTS);
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 1e4 };
  const idleMs = options.idleMs ?? 45e3;
  let snapshot;
  const listeners = /* @__PURE__ */ new Set();
  let markReady;
  const readyPromise = new Promise((r) => markReady = r);
  const apply = (next) => {
    const changed = Object.keys({ ...snapshot, ...next }).filter(
      (n) => JSON.stringify(snapshot?.[n]?.state) !== JSON.stringify(next[n]?.state)
    );
    const first = snapshot === void 0;
    snapshot = next;
    stream.resetBackoff();
    if (first) markReady();
    if (changed.length) for (const l of listeners) l(changed);
  };
  const stream = followStream({
    url,
    token,
    fingerprint: options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT,
    event: "flags",
    onData: (d) => apply(d.flags),
    backoff,
    idleMs,
    ...options.onError ? { onError: options.onError } : {}
  });
  const evaluateOne = (name, key) => {
    const f = snapshot?.[name];
    if (!f) return { value: defaults[name] ?? false, reason: "default", source: "default" };
    return { ...evaluate(name, f.state, key), source: "stream" };
  };
  return {
    // The hot path: no object for the answer, only the decision.
    isOn(name, key) {
      const f = snapshot?.[name];
      return f ? evaluate(name, f.state, key).value : defaults[name] ?? false;
    },
    evaluate: evaluateOne,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => readyPromise,
    get connected() {
      return stream.connected;
    },
    close: () => stream.close()
  };
}
function parseDefaults(raw) {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw);
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

// packages/runtime/src/jobs.ts
function jobs(options = {}) {
  const url = options.url ?? process.env.SLIPWAY_JOBS_URL;
  const token = options.token ?? process.env.SLIPWAY_JOBS_TOKEN;
  const fingerprint = options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT;
  const flushMs = options.flushMs ?? 1e3;
  const maxBatch = options.maxBatch ?? 200;
  const maxPending = options.maxPending ?? 1e4;
  const timeoutMs = options.timeoutMs ?? 5e3;
  let waiting = [];
  let dropped = 0;
  let timer;
  let sending;
  const report = async () => {
    clearTimeout(timer);
    timer = void 0;
    const batch = waiting;
    waiting = [];
    if (!batch.length || !url) return;
    const body = {
      completed: batch.filter((o) => o.ok).map((o) => o.ms),
      failed: batch.filter((o) => !o.ok).map((o) => o.ms)
    };
    try {
      const res = await send(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...token ? { authorization: `Bearer ${token}` } : {}
        },
        body: JSON.stringify(body),
        ...fingerprint ? { fingerprint } : {},
        signal: AbortSignal.timeout(timeoutMs)
      });
      const answer = await text(res);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300)
        throw new Error(`job report to ${url} answered ${status}: ${answer}`);
    } catch (e) {
      waiting = [...batch, ...waiting];
      const over = waiting.length - maxPending;
      if (over > 0) {
        waiting = waiting.slice(over);
        dropped += over;
      }
      options.onError?.(e instanceof Error ? e : new Error(String(e)));
      schedule();
    }
  };
  const flush = () => {
    sending = (sending ?? Promise.resolve()).then(report);
    return sending;
  };
  const schedule = () => {
    if (!timer && waiting.length) timer = setTimeout(() => void flush(), flushMs).unref();
  };
  const record = (ok, ms) => {
    if (!url) return;
    waiting.push({ ok, ms: Number.isFinite(ms) && ms >= 0 ? ms : 0 });
    if (waiting.length >= maxBatch) void flush();
    else schedule();
  };
  return {
    completed: (ms) => record(true, ms),
    failed: (ms) => record(false, ms),
    async track(job) {
      const start = performance.now();
      try {
        const result = await job();
        record(true, performance.now() - start);
        return result;
      } catch (e) {
        record(false, performance.now() - start);
        throw e;
      }
    },
    flush,
    get pending() {
      return waiting.length;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      await flush();
      clearTimeout(timer);
      timer = void 0;
    }
  };
}
async function text(res) {
  let out = "";
  for await (const chunk of res) out += chunk;
  return out;
}

// packages/runtime/src/secrets.ts
function secrets(options = {}) {
  let current;
  const listeners = /* @__PURE__ */ new Set();
  let markReady;
  const readyPromise = new Promise((r) => markReady = r);
  const apply = (next) => {
    const changed = Object.keys({ ...current, ...next }).filter(
      (n) => current?.[n]?.version !== next[n]?.version || current?.[n]?.previous?.version !== next[n]?.previous?.version
    );
    const first = current === void 0;
    current = next;
    stream.resetBackoff();
    if (first) markReady();
    if (changed.length) for (const l of listeners) l(changed);
  };
  const stream = followStream({
    url: options.url ?? process.env.SLIPWAY_SECRETS_URL,
    token: options.token ?? process.env.SLIPWAY_SECRETS_TOKEN,
    fingerprint: options.fingerprint ?? process.env.SLIPWAY_API_FINGERPRINT,
    event: "secrets",
    onData: (d) => apply(d.secrets),
    backoff: options.backoff ?? { initialMs: 250, maxMs: 1e4 },
    idleMs: options.idleMs ?? 45e3,
    ...options.onError ? { onError: options.onError } : {}
  });
  return {
    secret(name) {
      const s = current?.[name];
      if (s) return { value: s.value, ...s.previous ? { previous: s.previous.value } : {} };
      const value = process.env[name];
      if (value === void 0) return void 0;
      const previous = process.env[`${name}_PREVIOUS`];
      return { value, ...previous !== void 0 ? { previous } : {} };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => readyPromise,
    get connected() {
      return stream.connected;
    },
    close: () => stream.close()
  };
}
export {
  bucket,
  evaluate,
  flags,
  jobs,
  secrets
};
