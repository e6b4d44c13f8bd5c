// Helpers shared by the integration suites: agents with keys, personas, request bodies, and calls
// into the agent API's one routing table with real Request objects.
import { randomUUID } from "node:crypto";
import { agentApi } from "@/app/api/_lib/agent-api";
import type { Agent } from "@/db/schema";
import { createAgent } from "@/lib/agents/registry";
import type { Viewer } from "@/lib/auth/viewer";
import type { ReviewerIdentity } from "@/lib/policy/types";
import { createRequestBody, type CreateRequestBody } from "@/lib/requests/schema";

export const TEST_ACTOR = { actor: { kind: "system" as const, id: "test", display: "Test" }, channel: "system" as const };

export async function makeAgent(owner = "owner@acme.test"): Promise<{ agent: Agent; key: string }> {
  return createAgent({ name: `agent-${randomUUID().slice(0, 8)}`, owner }, TEST_ACTOR);
}

export function reviewer(name: string, groups: string[], email = `${name}@acme.test`): ReviewerIdentity {
  return { id: email, email, name, idp: "dev", groups };
}

export const oncall = (n = "riley") => reviewer(n, ["platform-oncall"]);
/** A console viewer who may read everything and decide nothing (the test policy's auditor). */
export const auditorViewer = (n = "audrey"): Viewer => ({ ...reviewer(n, ["compliance"]), roles: ["auditor"] });
export const security = (n = "sam") => reviewer(n, ["security-team"]);

export function requestBody(over: Partial<CreateRequestBody> = {}): CreateRequestBody {
  return createRequestBody.parse({
    action: "deploy.service.release",
    resource: "svc/payments-api",
    environment: "production",
    intent: "Release payments-api v2.41.0",
    context: { image: "payments-api:v2.41.0" },
    ...over,
  });
}

const BASE = "http://countersign.test";

export function apiRequest(
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Request {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  return new Request(`${BASE}${path}`, { method, headers, body });
}

/** Answers a Request through the agent API's routing table, the entry point of both servers. */
export async function callAgentApi(req: Request): Promise<Response> {
  return agentApi.fetch(req);
}

/** Settles a call into the error code it failed with, or "ok" (anything without a code is rethrown). */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") return code;
    throw err;
  }
}

/** How many times each value occurs. */
export function tally(xs: (string | number)[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of xs) t[String(x)] = (t[String(x)] ?? 0) + 1;
  return t;
}
