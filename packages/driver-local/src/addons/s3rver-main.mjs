// The bucket add-on's server process: s3rver 3.7.1 with Slipway's credentials and settings.
// Plain JavaScript because it is run by `node` directly, detached from the control plane,
// and must start without tsx. Settings arrive as JSON on stdin, so the keys are in neither
// argv nor a file.
import { timingSafeEqual } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const S3rver = require("s3rver");
// Internal module of the pinned version: the only way to replace the built-in key pair.
const AWSAccount = require("s3rver/lib/models/account");

process.title = "slipway-s3rver"; // what the driver checks in /proc/<pid>/stat before adopting

let input = "";
for await (const chunk of process.stdin) input += chunk;
const config = JSON.parse(input);

// s3rver knows one account with the public key pair S3RVER/S3RVER. Replace it with this
// instance's key id, derived from the add-on's password.
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey("S3RVER");
AWSAccount.DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);

const buckets = join(config.dataDir, "buckets");
mkdirSync(buckets, { recursive: true, mode: 0o700 });
const server = new S3rver({
  address: "127.0.0.1",
  port: config.port,
  directory: buckets,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: config.bucket, configs: [] }],
});
// Koa composes middleware at listen time, so these run before s3rver's own.
server.middleware.unshift(answerProbe, requireOurKey);
await server.run();
writeFileSync(join(config.dataDir, "s3rver.pid"), `${process.pid}\n`, { mode: 0o600 });

for (const signal of ["SIGTERM", "SIGINT"])
  process.once(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref(); // keep-alive clients must not hold us up
  });

/** The driver's adopt check: only a caller holding the key learns our pid. */
function answerProbe(ctx, next) {
  const probe = ctx.get("x-slipway-probe");
  if (!probe) return next();
  if (!sameKey(probe)) return deny(ctx);
  ctx.body = JSON.stringify({ pid: process.pid });
  ctx.type = "application/json";
}

/**
 * s3rver lets unsigned requests through and does not verify SigV4 signatures at all, so the
 * key id is the only credential it can check: refuse anything that does not carry ours.
 */
function requireOurKey(ctx, next) {
  const auth = ctx.get("authorization");
  const key =
    /Credential=([^/,\s]+)\//.exec(auth)?.[1] ??
    /^AWS ([^:\s]+):/.exec(auth)?.[1] ??
    (String(ctx.query["X-Amz-Credential"] ?? "").split("/")[0] || String(ctx.query.AWSAccessKeyId ?? ""));
  return sameKey(key) ? next() : deny(ctx);
}

function sameKey(presented) {
  const a = Buffer.from(presented);
  const b = Buffer.from(config.accessKeyId);
  return a.length === b.length && timingSafeEqual(a, b);
}

function deny(ctx) {
  ctx.status = 403;
  ctx.type = "application/xml";
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
}
