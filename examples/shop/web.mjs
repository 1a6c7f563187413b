// The storefront (route /): static files from public/, read once at boot since a build
// directory never changes. The page talks to the api through the same origin (/api/...).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { sendJson, serve } from "./lib/http.mjs";
import { onShutdown } from "./lib/shutdown.mjs";

const TYPES = { html: "text/html", js: "text/javascript", css: "text/css" };

// A fixed table of files rather than a path join: nothing from the URL reaches the disk.
const files = new Map(
  [
    ["/", "index.html"],
    ["/app.js", "app.js"],
    ["/style.css", "style.css"],
  ].map(([path, file]) => {
    const body = readFileSync(new URL(`./public/${file}`, import.meta.url));
    const type = `${TYPES[file.split(".").pop()]}; charset=utf-8`;
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    return [path, { body, type, etag }];
  }),
);

function staticFile(req, res, _match, url) {
  const file = files.get(url.pathname);
  if (!file) return sendJson(res, 404, { error: `no page ${url.pathname}` });
  // Revalidate every time, but answer 304 when unchanged: a new release shows up at once.
  const headers = { etag: file.etag, "cache-control": "no-cache" };
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, headers);
    return res.end();
  }
  res.writeHead(200, { ...headers, "content-type": file.type, "content-length": file.body.length });
  res.end(req.method === "HEAD" ? undefined : file.body);
}

const http = serve({
  routes: [
    ["GET", /^\/(app\.js|style\.css)?$/, staticFile],
    ["HEAD", /^\/(app\.js|style\.css)?$/, staticFile],
  ],
});

onShutdown(() => http.close());
