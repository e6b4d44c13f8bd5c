// The bench's bare baseline (issue 2, SPEC §7): a plain `node:http` server that does what
// `POST /api/v1/requests` must do at minimum — read the body, validate it with the same zod schema,
// compute params_hash, and insert the request row plus its audit row in one postgres.js
// transaction, with no chain lock; and what `GET /api/v1/requests/{id}` must do at minimum — read
// that agent's row by id in one query and send it as JSON. No framework, no auth, no policy, no
// sealing: the floor the app is measured against. Same tables (migrated), minimal-but-valid rows.
//
// Env: DATABASE_URL, PORT, BENCH_DB_POOL (default 10), BENCH_AGENT_ID (an existing agents.id).
import { randomUUID } from "node:crypto";
import http from "node:http";
import postgres from "postgres";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { createRequestBody, LIMITS } from "@/lib/requests/schema";

const databaseUrl = required("DATABASE_URL");
const agentId = required("BENCH_AGENT_ID");
const port = Number(required("PORT"));
const pool = Number(process.env.BENCH_DB_POOL ?? 10);

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`baseline-server: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const sql = postgres(databaseUrl, { max: pool, onnotice: () => {}, idle_timeout: 60 });
const actor = { kind: "agent", id: agentId, display: "bench-baseline" };

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMITS.bodyBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function createRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (text === null) return send(res, 413, { error: { code: "payload_too_large", message: "body too large" } });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return send(res, 400, { error: { code: "invalid_json", message: "not JSON" } });
  }
  const parsed = createRequestBody.safeParse(value);
  if (!parsed.success) return send(res, 400, { error: { code: "invalid_request", message: "invalid body" } });
  const body = parsed.data;

  const id = randomUUID();
  const now = new Date();
  const paramsHash = sha256Hex(canonicalJson({ action: body.action, resource: body.resource, environment: body.environment, context: body.context }));
  const bodyHash = sha256Hex(canonicalJson(body));
  const deadline = new Date(now.getTime() + 3_600_000);

  await sql.begin(async (tx) => {
    await tx`
      insert into requests (
        id, agent_id, action, resource, environment, intent, context, origin, on_behalf_of, callback_url,
        params_hash, status, risk_score, risk_level, risk_reasons, policy_rule, policy_hash, policy_decision,
        explanation, approvals_required, approver_groups, grant_window_seconds, decision_deadline,
        created_at, updated_at, body_hash
      ) values (
        ${id}, ${agentId}, ${body.action}, ${body.resource}, ${body.environment}, ${body.intent},
        ${tx.json(body.context as postgres.JSONValue)}, ${tx.json(body.origin as postgres.JSONValue)},
        ${body.on_behalf_of ?? null}, ${body.callback_url ?? null},
        ${paramsHash}, 'pending', 45, 'medium', '[]'::jsonb, 'baseline', 'baseline', 'require_approval',
        'baseline', 1, '[]'::jsonb, 900, ${deadline}, ${now}, ${now}, ${bodyHash}
      )`;
    await tx`
      insert into audit_events (
        event_id, occurred_at, type, actor_kind, actor_id, actor, channel, request_id, agent_id,
        action, environment, risk_level, payload, search_text
      ) values (
        ${randomUUID()}, ${now}, 'request.created', 'agent', ${agentId}, ${tx.json(actor)}, 'api', ${id}, ${agentId},
        ${body.action}, ${body.environment}, 'medium', ${tx.json({ resource: body.resource, intent: body.intent, params_hash: paramsHash })},
        ''
      )`; // (an empty search_text: without one the database derives it, a cost this floor need not pay)
  });
  send(res, 201, { id, status: "pending", params_hash: paramsHash, created_at: now.toISOString() });
}

const READ_PATH = /^\/api\/v1\/requests\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

async function readRequest(id: string, res: http.ServerResponse): Promise<void> {
  const [row] = await sql`select * from requests where id = ${id} and agent_id = ${agentId}`;
  if (!row) return send(res, 404, { error: { code: "not_found", message: "no such request" } });
  send(res, 200, row);
}

const server = http.createServer((req, res) => {
  const route = `${req.method} ${req.url}`;
  const read = req.method === "GET" ? READ_PATH.exec(req.url ?? "") : null;
  const handle =
    route === "POST /api/v1/requests"
      ? createRequest(req, res)
      : read
        ? readRequest(read[1]!, res)
        : route === "GET /api/health"
        ? sql`select 1`.then(() => send(res, 200, { status: "ok" }))
        : Promise.resolve(send(res, 404, { error: { code: "not_found", message: "no such route" } }));
  handle.catch((err: unknown) => {
    console.error("baseline-server:", err);
    if (!res.headersSent) send(res, 500, { error: { code: "internal", message: "internal error" } });
  });
});
server.keepAliveTimeout = 65_000;

server.listen(port, "127.0.0.1");

process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void sql.end({ timeout: 5 }).finally(() => process.exit(0));
});
