// A private service (no route): only the api reaches it, through $RATES_URL. It shows
// service-to-service calls and that both sides of a call move to a new release together.
import { sendJson, serve } from "./lib/http.mjs";
import { release } from "./lib/runtime.mjs";
import { onShutdown } from "./lib/shutdown.mjs";

const rate = Number(process.env.BASE_RATE ?? "1.1");

const http = serve({
  routes: [["GET", /^\/rate$/, (_req, res) => sendJson(res, 200, { rate, release })]],
});

onShutdown(() => http.close());
