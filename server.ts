// Production server (`npm start`). Next.js serves the console, auth and every other route; the
// agent API (/api/v1/*) — the hot path agents hammer — is answered by its one routing table
// (app/api/_lib/agent-api.ts, which Next.js serves too, through app/api/v1/[[...path]]) called
// directly on node:http, skipping Next's per-request routing machinery (measured in
// `npm run bench`). Start-up (migrations, policy, sealer, sweeper, NOTIFY listener, graceful
// shutdown) runs once, here, before the port opens; instrumentation.ts runs it for `next start`
// (Next runs that hook only as it prepares, after a custom server could already be listening, and
// the direct agent-API path would answer before the database was migrated).
import http from "node:http";
import { getRequestListener } from "@hono/node-server";
import next from "next";
import { agentApi } from "@/app/api/_lib/agent-api";
import { jsonTextOf, withBody } from "@/app/api/_lib/http";
import { isDatabaseUnavailable, isDiskFull } from "@/db/errors";
import { env, EnvError } from "@/lib/config/env";
import { startServerRuntimeOrExit } from "@/lib/runtime/startup";
import { startupFailureMessage } from "@/lib/runtime/startup-failure";

/** Tells @hono/node-server the response was written already (its documented RESPONSE_ALREADY_SENT header). */
const ALREADY_SENT = new Response(null, { headers: { "x-hono-already-sent": "true" } });

async function main(): Promise<void> {
  const { PORT: port, HOSTNAME: hostname } = env();
  await startServerRuntimeOrExit();
  const app = next({ dev: false, dir: process.cwd(), hostname, port });
  const nextHandler = app.getRequestHandler();
  await app.prepare();
  // overrideGlobalObjects: false keeps the global Request/Response that Next.js relies on.
  const agentApiListener = getRequestListener(
    async (req, env) => {
      const res = await agentApi.answer(req);
      // A JSON answer goes out as its text in one write; anything else (streams) through the adapter.
      const text = jsonTextOf(res);
      if (text === undefined || !(env.outgoing instanceof http.ServerResponse) || env.outgoing.headersSent) return withBody(res);
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      headers["content-length"] = String(Buffer.byteLength(text));
      env.outgoing.writeHead(res.status, headers).end(text);
      return ALREADY_SENT;
    },
    { overrideGlobalObjects: false },
  );
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/api/v1/")) void agentApiListener(req, res);
    else void nextHandler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, hostname, () => {
    console.log(JSON.stringify({ level: 30, service: "countersign", msg: `listening on http://${hostname}:${port}` }));
  });
}

main().catch((err: unknown) => {
  // Configuration errors, an unreachable database and a full disk are written for humans; anything else with its stack.
  const forHumans = err instanceof EnvError || isDatabaseUnavailable(err) || isDiskFull(err);
  console.error(forHumans ? `\nCountersign failed to start:\n${startupFailureMessage(err)}\n` : err);
  process.exit(1);
});
