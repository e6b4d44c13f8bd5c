// Helpers shared by the integration suites: agents with keys, personas, request bodies, and calls
// into the agent API's one routing table with real Request objects.
import { randomUUID } from "node:crypto";
import { agentApi } from "@/app/api/_lib/agent-api";
import { createAgent } from "@/lib/agents/registry";
import type { Agent, Channel } from "@/db/schema";
import { resolveAuthority } from "@/lib/auth/authority";
import { recordIdentity, recordSignIn } from "@/lib/auth/people";
import { toViewer, type Viewer } from "@/lib/auth/viewer";
import { rolesForGroups } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";
import type { Vote } from "@/lib/requests/eligibility";
import { decideRequest, type Clock } from "@/lib/requests/lifecycle";
import { createRequestBody, type CreateRequestBody, type RequestView } from "@/lib/requests/schema";

export const TEST_ACTOR = { actor: { kind: "system" as const, id: "test", display: "Test" }, channel: "system" as const };

export async function makeAgent(owner = "owner@acme.test"): Promise<{ agent: Agent; key: string }> {
  return createAgent({ name: `agent-${randomUUID().slice(0, 8)}`, owner }, TEST_ACTOR);
}

/** A reviewer as their identity provider vouches for them (the test issuer; subject = e-mail). */
export type TestReviewer = { issuer: string; subject: string; name: string; email: string; groups: string[] };

export const TEST_ISSUER = "urn:countersign:test-idp";

export function reviewer(name: string, groups: string[], email = `${name}@acme.test`): TestReviewer {
  return { issuer: TEST_ISSUER, subject: email, name, email, groups };
}

/** The reviewer's identity recorded as at `at` (groups confirmed then), and their person's id. */
export async function personOf(who: TestReviewer, at = new Date()): Promise<string> {
  const claims = { ...who, idp: "okta" as const, login: who.email, emailVerified: true, authTime: at };
  return (await recordIdentity(claims, at)).personId;
}

/**
 * decideRequest as `who`: their identity is confirmed at the decision's time (as a sign-in
 * moments before would), then the core resolves their authority as for any door.
 */
export async function decideAs(
  requestId: string,
  who: TestReviewer,
  decision: Vote,
  note: string | undefined,
  channel: Channel,
  clock: Clock = {},
): Promise<RequestView> {
  const at = clock.now ?? new Date();
  return decideRequest(requestId, { kind: "person", personId: await personOf(who, at), authTime: at }, decision, note, channel, clock);
}

export const oncall = (n = "riley") => reviewer(n, ["platform-oncall"]);
/** A console viewer for read checks: reads need the capability, not a live session behind it. */
export async function viewerAs(who: TestReviewer): Promise<Viewer> {
  const roles = rolesForGroups(await getActivePolicy(), who.groups);
  return {
    sessionId: "not-a-session",
    personId: `person:${who.email}`,
    identityId: `identity:${who.email}`,
    name: who.name,
    email: who.email,
    idp: "okta",
    emails: [who.email],
    groups: who.groups,
    roles,
    authTime: null,
  };
}

/** A real console sign-in (identity, person, session row), as the viewer the session resolves to. */
export async function signedIn(who: TestReviewer, at = new Date(), authTime = at): Promise<Viewer> {
  const claims = { ...who, idp: "okta" as const, login: who.email, emailVerified: true, authTime };
  const { sessionId } = await recordSignIn(claims, at);
  return toViewer(sessionId, await resolveAuthority({ kind: "session", sessionId }, at), await getActivePolicy());
}

/** A console viewer who may read everything and decide nothing (the test policy's auditor). */
export const auditorViewer = (n = "audrey"): Viewer => ({
  sessionId: "not-a-session",
  personId: `person-${n}`,
  identityId: `identity-${n}`,
  name: n,
  email: `${n}@acme.test`,
  idp: "okta",
  emails: [`${n}@acme.test`],
  groups: ["compliance"],
  roles: ["auditor"],
  authTime: null,
});
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
  opts: { key?: string; body?: unknown; rawBody?: string; bytes?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> } = {},
): Request {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined = opts.bytes ?? opts.rawBody;
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
