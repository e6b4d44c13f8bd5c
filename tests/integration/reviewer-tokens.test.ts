// Reviewers' personal tokens and the reviewer API (/api/v1/reviews…), called through the agent API's
// one routing table with real Request objects: tokens created, listed, shown once and revoked from
// the account page's core; scopes; expiry; and every rule of the console still holding through a
// token — self-approval, approver groups, groups confirmed now (stale and unrefreshable → sign in
// again), step-up (never through a token), a deactivated or merged person, one person per token.
import { createHash, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scimApi } from "@/app/scim/_lib/scim-api";
import { getDb, rowsOf } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { selectReviews } from "@/db/queries/requests";
import { endPersonSessions, linkPeople, recordSignIn } from "@/lib/auth/people";
import { createReviewerToken, listReviewerTokens, revokeReviewerToken, type CreateReviewerTokenInput } from "@/lib/auth/reviewer-tokens";
import type { Viewer } from "@/lib/auth/viewer";
import { env, resetEnvCache } from "@/lib/config/env";
import { createRequest } from "@/lib/requests/lifecycle";
import { errorBody, requestView, reviewList, reviewView } from "@/lib/requests/schema";
import { usePrivateDatabase } from "../support/dedicated-db";
import { apiRequest, callAgentApi, decideAs, errorCode, makeAgent, personOf, requestBody, reviewer, viewerAs, type TestReviewer } from "../support/fixtures";

// ── the world ────────────────────────────────────────────────────────────────────────────────

const SCIM_TOKEN = "okta-scim-token-for-reviewer-token-tests-0123456789";
const OKTA_ISSUER = "https://acme.okta.test/oauth2/reviewer-tokens";
const ENV: Record<string, string> = {
  COUNTERSIGN_SCIM_TOKEN: SCIM_TOKEN,
  AUTH_OKTA_ID: "0oa-countersign-test",
  AUTH_OKTA_SECRET: "okta-client-secret-for-tests",
  AUTH_OKTA_ISSUER: OKTA_ISSUER,
};
const saved: Record<string, string | undefined> = {};
let restore: () => Promise<void> = async () => {};

beforeAll(async () => {
  // A database of this file's own: the list answers "every request you may decide", which on the
  // shared database would include every other file's pending requests.
  restore = await usePrivateDatabase();
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resetEnvCache();
}, 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
  await restore();
});

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const oncall = () => reviewer(unique("riley"), ["platform-oncall"]);
const securityReviewer = () => reviewer(unique("sam"), ["security-team"]);

/** A person recorded as their provider vouched for them at `at`, as the account page sees them. */
async function person(who: TestReviewer, at = new Date()): Promise<Viewer> {
  return { ...(await viewerAs(who)), personId: await personOf(who, at) };
}

async function tokenFor(viewer: Viewer, input: Partial<CreateReviewerTokenInput> = {}, now = new Date()) {
  return createReviewerToken(viewer, { name: "laptop", scopes: ["read", "decide"], ...input }, now);
}

type Json = Record<string, unknown>;
async function read(res: Response): Promise<{ status: number; body: Json }> {
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Json };
}
async function expectError(res: Response, status: number, code: string): Promise<string> {
  const { status: got, body } = await read(res);
  const error = errorBody.parse(body).error;
  expect({ status: got, code: error.code }, error.message).toEqual({ status, code });
  return error.message;
}

const list = (token: string) => callAgentApi(apiRequest("GET", "/api/v1/reviews", { key: token }));
const show = (token: string, id: string) => callAgentApi(apiRequest("GET", `/api/v1/reviews/${id}`, { key: token }));
const vote = (token: string, id: string, decision: "approve" | "deny", body?: unknown) =>
  callAgentApi(apiRequest("POST", `/api/v1/reviews/${id}/${decision}`, { key: token, body }));

async function listed(token: string): Promise<string[]> {
  const { status, body } = await read(await list(token));
  expect(status, JSON.stringify(body)).toBe(200);
  return reviewList.parse(body).items.map((i) => i.id);
}

/** A request needing one platform-oncall approval; `owner` owns its agent. */
async function deployRequest(opts: { owner?: string; onBehalfOf?: string; action?: string } = {}) {
  const { agent } = await makeAgent(opts.owner);
  const over = { environment: "staging", ...(opts.onBehalfOf ? { on_behalf_of: opts.onBehalfOf } : {}), ...(opts.action ? { action: opts.action } : {}) };
  return (await createRequest(agent, requestBody(over))).request;
}
/** An `iam.*` request: two approvals from the `security` approver group (security-team). */
async function iamRequest() {
  const { agent } = await makeAgent();
  return (await createRequest(agent, requestBody({ action: "iam.role.update", environment: "staging" }))).request;
}

const votesOn = async (id: string) => selectReviews(await getDb(), [id]);
const minutes = (m: number, from = new Date()) => new Date(from.getTime() + m * 60_000);
const days = (d: number, from = new Date()) => new Date(from.getTime() + d * 86_400_000);

async function storedToken(id: string): Promise<Json> {
  const rows = rowsOf<Json>(await (await getDb()).execute(sql`select * from reviewer_tokens where id = ${id}`));
  return rows[0]!;
}

// ── create, list, revoke ─────────────────────────────────────────────────────────────────────

describe("personal tokens: created in the console, shown once, listed, revoked", () => {
  it("a token is returned once; only its secret's SHA-256 is stored, and neither it nor its secret is audited", async () => {
    const viewer = await person(oncall());
    const before = new Date();
    const { token, summary } = await tokenFor(viewer, { name: "  laptop CLI  ", scopes: ["decide", "read", "decide"] });
    expect(token).toMatch(/^csr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const [, prefix, secret] = token.split(/^csr_([a-z0-9]{12})_/);
    expect(summary).toMatchObject({ name: "laptop CLI", display: `csr_${prefix}…`, scopes: ["read", "decide"], state: "active", lastUsedAt: null, revokedAt: null });
    // Thirty days unless asked otherwise.
    expect(summary.expiresAt.getTime() - summary.createdAt.getTime()).toBe(30 * 86_400_000);
    expect(summary.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 5);

    const row = await storedToken(summary.id);
    expect(row.secret_hash).toBe(createHash("sha256").update(secret!).digest("hex"));
    expect(row.prefix).toBe(prefix);
    expect(JSON.stringify(row)).not.toContain(secret);
    // The summaries the page shows carry neither the hash nor the secret.
    const mine = await listReviewerTokens(viewer);
    expect(mine.map((t) => t.id)).toEqual([summary.id]);
    expect(JSON.stringify(mine)).not.toContain(secret);
    expect(JSON.stringify(mine)).not.toContain(row.secret_hash as string);

    const events = rowsOf<Json>(await (await getDb()).execute(sql`select type, channel, actor_id, payload from audit_events where payload->>'token_id' = ${summary.id}`));
    expect(events).toEqual([
      {
        type: "reviewer_token.created",
        channel: "console",
        actor_id: viewer.personId,
        payload: { token_id: summary.id, name: "laptop CLI", prefix, scopes: ["read", "decide"], expires_at: summary.expiresAt.toISOString() },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("settings are validated at their fields: a name, at least one scope, at most 90 days", async () => {
    const viewer = await person(oncall());
    const issues = async (input: Partial<CreateReviewerTokenInput>) =>
      (await tokenFor(viewer, input).catch((e: { code: string; issues: { path: string }[] }) => e)) as { code?: string; issues?: { path: string }[] };
    expect(await issues({ name: "   " })).toMatchObject({ code: "invalid_request", issues: [{ path: "name" }] });
    expect(await issues({ scopes: [] })).toMatchObject({ code: "invalid_request", issues: [{ path: "scopes" }] });
    expect(await issues({ expiresInDays: 91 })).toMatchObject({ code: "invalid_request", issues: [{ path: "expiresInDays" }] });
    expect(await issues({ scopes: ["write" as "read"] })).toMatchObject({ code: "invalid_request" });
    expect((await tokenFor(viewer, { expiresInDays: "90" as unknown as number })).summary.expiresAt.getTime()).toBeGreaterThan(days(89).getTime());
    expect(await listReviewerTokens(viewer)).toHaveLength(1);
  });

  it("a decide token needs a reviewer role; an auditor may have a read token", async () => {
    const auditor = await person(reviewer(unique("audrey"), ["compliance"]));
    expect(await errorCode(tokenFor(auditor))).toBe("forbidden");
    expect((await tokenFor(auditor, { scopes: ["read"] })).summary.scopes).toEqual(["read"]);
  });

  it("revoking: audited, listed as revoked, refused at once (401); another person's token is not theirs to revoke", async () => {
    const viewer = await person(oncall());
    const other = await person(oncall());
    const { token, summary } = await tokenFor(viewer);
    expect((await read(await list(token))).status).toBe(200);

    expect(await errorCode(revokeReviewerToken(other, summary.id))).toBe("not_found");
    expect((await read(await list(token))).status).toBe(200);

    const revoked = await revokeReviewerToken(viewer, summary.id);
    expect(revoked.state).toBe("revoked");
    expect(await errorCode(revokeReviewerToken(viewer, summary.id))).toBe("not_found");
    expect((await listReviewerTokens(viewer)).map((t) => [t.id, t.state])).toEqual([[summary.id, "revoked"]]);
    expect(await expectError(await list(token), 401, "unauthorized")).toMatch(/revoked/);
    const request = await deployRequest();
    await expectError(await vote(token, request.id, "approve"), 401, "unauthorized");
    expect(await votesOn(request.id)).toHaveLength(0);

    const types = rowsOf<{ type: string }>(await (await getDb()).execute(sql`select type from audit_events where payload->>'token_id' = ${summary.id} order by id`));
    expect(types.map((t) => t.type)).toEqual(["reviewer_token.created", "reviewer_token.revoked"]);
  });

  it("an expired token is refused (401) and listed as expired", async () => {
    const viewer = await person(oncall());
    const { token, summary } = await tokenFor(viewer, { expiresInDays: 7 }, days(-8));
    expect(await expectError(await list(token), 401, "unauthorized")).toMatch(/expired/);
    const request = await deployRequest();
    await expectError(await vote(token, request.id, "approve"), 401, "unauthorized");
    expect(await votesOn(request.id)).toHaveLength(0);
    expect((await listReviewerTokens(viewer)).find((t) => t.id === summary.id)?.state).toBe("expired");
  });

  it("an admin's 'end sessions' revokes the person's tokens too", async () => {
    const viewer = await person(oncall());
    const { token } = await tokenFor(viewer);
    expect((await read(await list(token))).status).toBe(200);
    await endPersonSessions({ actor: { kind: "user", id: "admin", display: "Admin" } }, viewer.personId, "ended by an admin");
    await expectError(await list(token), 401, "unauthorized");
    expect((await listReviewerTokens(viewer)).map((t) => t.state)).toEqual(["revoked"]);
  });

  it("last used is recorded when the token is used", async () => {
    const viewer = await person(oncall());
    const { summary, token } = await tokenFor(viewer);
    expect((await storedToken(summary.id)).last_used_at).toBeNull();
    const before = Date.now();
    expect((await read(await list(token))).status).toBe(200);
    const used = (await listReviewerTokens(viewer))[0]!.lastUsedAt;
    expect(used?.getTime()).toBeGreaterThanOrEqual(before - 5);
  });
});

// ── scopes ───────────────────────────────────────────────────────────────────────────────────

describe("scopes: read lists and shows, decide votes", () => {
  it("a read token lists and shows what its person may decide, and cannot vote (403 insufficient_scope, nothing written)", async () => {
    const viewer = await person(oncall());
    const { token } = await tokenFor(viewer, { scopes: ["read"] });
    const request = await deployRequest();
    expect(await listed(token)).toContain(request.id);
    const shown = await read(await show(token, request.id));
    expect(shown.status).toBe(200);
    expect(reviewView.parse(shown.body)).toMatchObject({
      id: request.id,
      status: "pending",
      context: request.context,
      you: { may_approve: true, may_deny: true, why_not_approve: null, why_not_deny: null },
    });
    await expectError(await vote(token, request.id, "approve"), 403, "insufficient_scope");
    await expectError(await vote(token, request.id, "deny", { note: "no" }), 403, "insufficient_scope");
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("a decide-only token votes but cannot list (403); the vote is the person's, on channel api, audited", async () => {
    const who = oncall();
    const viewer = await person(who);
    const { token } = await tokenFor(viewer, { scopes: ["decide"] });
    const request = await deployRequest();
    await expectError(await list(token), 403, "insufficient_scope");
    await expectError(await show(token, request.id), 403, "insufficient_scope");

    const res = await read(await vote(token, request.id, "approve", { note: "ship it" }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const view = requestView.parse(res.body);
    expect(view).toMatchObject({ status: "approved", approvals: { count: 1, required: 1 } });
    expect(view.reviews).toEqual([expect.objectContaining({ reviewer: viewer.personId, name: who.name, decision: "approve", note: "ship it", channel: "api" })]);
    const [review] = await votesOn(request.id);
    expect(review).toMatchObject({ reviewerId: viewer.personId, channel: "api", groups: ["platform-oncall"] });
    const events = await selectEventsForRequest(await getDb(), request.id);
    const decided = events.filter((e) => e.type === "review.approved" || e.type === "request.approved");
    expect(decided.map((e) => [e.type, e.channel, e.actorId])).toEqual([
      ["review.approved", "api", viewer.personId],
      ["request.approved", "api", viewer.personId],
    ]);
    expect(JSON.stringify(events)).not.toContain(token.slice(17));
  });

  it("deny needs a note (400 at the note field, nothing written); with one it ends the request", async () => {
    const viewer = await person(oncall());
    const { token } = await tokenFor(viewer);
    const request = await deployRequest();
    const { body } = await read(await vote(token, request.id, "deny"));
    expect(errorBody.parse(body).error).toMatchObject({ code: "invalid_request", issues: [{ path: "note" }] });
    await expectError(await vote(token, request.id, "deny", { note: "   " }), 400, "invalid_request");
    await expectError(await vote(token, request.id, "deny", { note: "x", extra: 1 }), 400, "invalid_request");
    expect(await votesOn(request.id)).toHaveLength(0);
    const denied = await read(await vote(token, request.id, "deny", { note: "wrong window" }));
    expect(requestView.parse(denied.body).status).toBe("denied");
    await expectError(await vote(token, request.id, "approve"), 409, "already_decided");
    await expectError(await show(token, randomUUID()), 404, "not_found");
    await expectError(await show(token, "not-a-uuid"), 404, "not_found");
  });
});

// ── the console's rules, through a token ─────────────────────────────────────────────────────

describe("the eligibility rule and fresh groups hold through a token", () => {
  it("no self-approval: the agent's owner and the on_behalf_of human are refused (403), may still deny, and the list says why", async () => {
    const who = oncall();
    const viewer = await person(who);
    const { token } = await tokenFor(viewer);
    const owned = await deployRequest({ owner: who.email });
    const forMe = await deployRequest({ onBehalfOf: who.email });
    for (const r of [owned, forMe]) {
      expect(await expectError(await vote(token, r.id, "approve"), 403, "self_approval")).toMatch(/No exemptions/);
      const shown = reviewView.parse((await read(await show(token, r.id))).body);
      expect(shown.you).toMatchObject({ may_approve: false, may_deny: true, why_not_approve: { code: "self_approval" } });
    }
    expect(await votesOn(owned.id)).toHaveLength(0);
    expect(await listed(token)).toEqual(expect.arrayContaining([owned.id, forMe.id]));
    expect(requestView.parse((await read(await vote(token, owned.id, "deny", { note: "not mine to run" }))).body).status).toBe("denied");
  });

  it("outside the request's approver groups: refused (403 not_eligible) and not listed", async () => {
    const viewer = await person(oncall());
    const { token } = await tokenFor(viewer);
    const iam = await iamRequest();
    const deploy = await deployRequest();
    const ids = await listed(token);
    expect(ids).toContain(deploy.id);
    expect(ids).not.toContain(iam.id);
    expect(reviewView.parse((await read(await show(token, iam.id))).body).you).toMatchObject({
      may_approve: false,
      may_deny: false,
      why_not_approve: { code: "not_eligible" },
    });
    await expectError(await vote(token, iam.id, "approve"), 403, "not_eligible");
    await expectError(await vote(token, iam.id, "deny", { note: "no" }), 403, "not_eligible");
    expect(await votesOn(iam.id)).toHaveLength(0);
  });

  it("groups confirmed longer ago than COUNTERSIGN_GROUPS_MAX_AGE that cannot be confirmed again: 401 reauthentication_required, nothing written", async () => {
    const signedInAt = minutes(-(env().COUNTERSIGN_GROUPS_MAX_AGE / 60_000 + 1));
    const viewer = await person(oncall(), signedInAt);
    const { token } = await tokenFor(viewer, {}, signedInAt);
    const request = await deployRequest();
    expect(await expectError(await vote(token, request.id, "approve"), 401, "reauthentication_required")).toMatch(/Sign in to Countersign again/);
    await expectError(await list(token), 401, "reauthentication_required");
    await expectError(await show(token, request.id), 401, "reauthentication_required");
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("a step-up rule is never satisfied by a token: 401 step_up_required, sent to the console; deny still works", async () => {
    const viewer = await person(oncall());
    const { token } = await tokenFor(viewer);
    const { agent } = await makeAgent();
    const secret = (await createRequest(agent, requestBody({ action: "secrets.kv.rotate", environment: "staging" }))).request;
    expect(secret.policy.step_up).toBe(true);
    const message = await expectError(await vote(token, secret.id, "approve"), 401, "step_up_required");
    expect(message).toMatch(/personal token cannot/);
    expect(message).toContain(`/requests/${secret.id}`);
    expect(await votesOn(secret.id)).toHaveLength(0);
    expect(reviewView.parse((await read(await show(token, secret.id))).body).you).toMatchObject({
      may_approve: false,
      may_deny: true,
      why_not_approve: { code: "step_up_required", message: expect.stringContaining("console") },
    });
    expect(requestView.parse((await read(await vote(token, secret.id, "deny", { note: "rotate on Monday" }))).body).status).toBe("denied");
  });

  it("one vote per person whatever the door, and a token speaks for its own person only", async () => {
    const a = await person(securityReviewer());
    const b = await person(securityReviewer());
    const tokenA = (await tokenFor(a)).token;
    const tokenB = (await tokenFor(b)).token;
    const iam = await iamRequest();
    expect(requestView.parse((await read(await vote(tokenA, iam.id, "approve"))).body).approvals).toEqual({ count: 1, required: 2 });
    await expectError(await vote(tokenA, iam.id, "approve"), 409, "already_voted");
    // A's token with B's prefix (or B's secret under A's prefix) is nobody's.
    const forged = `csr_${tokenB.slice(4, 16)}_${tokenA.slice(17)}`;
    await expectError(await vote(forged, iam.id, "approve"), 401, "unauthorized");
    expect((await votesOn(iam.id)).map((v) => v.reviewerId)).toEqual([a.personId]);
    const done = requestView.parse((await read(await vote(tokenB, iam.id, "approve"))).body);
    expect(done.status).toBe("approved");
    expect(done.reviews.map((r) => [r.reviewer, r.channel])).toEqual([
      [a.personId, "api"],
      [b.personId, "api"],
    ]);
  });

  it("the same person in the console and through a token votes once", async () => {
    const who = securityReviewer();
    const viewer = await person(who);
    const { token } = await tokenFor(viewer);
    const iam = await iamRequest();
    await decideAs(iam.id, who, "approve", undefined, "console");
    await expectError(await vote(token, iam.id, "approve"), 409, "already_voted");
    expect(await votesOn(iam.id)).toHaveLength(1);
  });

  it("a person linked into another: their old token speaks for nobody (401)", async () => {
    const from = await person(oncall());
    const into = await person(oncall());
    const { token } = await tokenFor(from);
    expect((await read(await list(token))).status).toBe(200);
    await linkPeople({ actor: { kind: "user", id: "admin", display: "Admin" } }, from.personId, into.personId);
    const request = await deployRequest();
    expect(await expectError(await vote(token, request.id, "approve"), 401, "unauthorized")).toMatch(/linked into another/);
    expect(await votesOn(request.id)).toHaveLength(0);
  });
});

// ── a person the directory deactivated ───────────────────────────────────────────────────────

async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await scimApi.fetch(
    new Request(`https://countersign.test/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${SCIM_TOKEN}`, "content-type": "application/scim+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

describe("a deactivated person's token decides nothing", () => {
  it("Okta (SCIM) deactivates the reviewer: their token is refused (401) on every reviewer route", async () => {
    const tag = randomUUID().slice(0, 8);
    const userName = `alice.${tag}@acme.test`;
    const user = await scim("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, active: true, emails: [{ primary: true, value: userName }] });
    expect(user.status).toBe(201);
    const group = await scim("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "platform-oncall",
      members: [{ value: user.body.id, display: userName }],
    });
    expect(group.status).toBe(201);
    const { identity } = await recordSignIn({
      issuer: OKTA_ISSUER,
      subject: `00u${tag}`,
      idp: "okta",
      login: userName,
      email: userName,
      emailVerified: true,
      name: "Alice",
      groups: ["platform-oncall"],
      authTime: new Date(),
    });
    const viewer = { ...(await viewerAs(reviewer("alice", ["platform-oncall"], userName))), personId: identity.personId };
    const { token } = await tokenFor(viewer);
    const request = await deployRequest();
    expect(await listed(token)).toContain(request.id);

    const off = await scim("PATCH", `/Users/${user.body.id as string}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(off.status).toBe(200);
    expect(await expectError(await vote(token, request.id, "approve"), 401, "unauthorized")).toMatch(/deactivated/);
    await expectError(await list(token), 401, "unauthorized");
    await expectError(await show(token, request.id), 401, "unauthorized");
    expect(await votesOn(request.id)).toHaveLength(0);
  });
});

// ── hostile credentials ──────────────────────────────────────────────────────────────────────

describe("malformed credentials: always 401 in the JSON envelope, never a 5xx", () => {
  it.each([
    ["no header", undefined],
    ["an empty bearer", "Bearer "],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["the bare prefix", "Bearer csr_"],
    ["a truncated token", "Bearer csr_abcdefghijkl_short"],
    ["an unknown token", `Bearer csr_zzzzzzzzzzzz_${"A".repeat(43)}`],
    ["an agent key", `Bearer cs_zzzzzzzzzzzz_${"A".repeat(43)}`],
    ["latin-1 bytes", "Bearer csr_\u00ff\u00fe\u00e9_\u00a0"],
    ["two tokens", `Bearer csr_zzzzzzzzzzzz_${"A".repeat(43)} csr_zzzzzzzzzzzz_${"A".repeat(43)}`],
    ["a huge header", `Bearer csr_${"a".repeat(8000)}`],
  ])("%s", async (_what, authorization) => {
    const request = await deployRequest();
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    for (const req of [
      apiRequest("GET", "/api/v1/reviews", { headers }),
      apiRequest("GET", `/api/v1/reviews/${request.id}`, { headers }),
      apiRequest("POST", `/api/v1/reviews/${request.id}/approve`, { headers }),
      apiRequest("POST", `/api/v1/reviews/${request.id}/deny`, { headers, body: { note: "x" } }),
    ]) {
      await expectError(await callAgentApi(req), 401, "unauthorized");
    }
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("an agent key is told it is not a reviewer token, and a reviewer token is no agent key", async () => {
    const { key } = await makeAgent();
    expect(await expectError(await list(key), 401, "unauthorized")).toMatch(/agent key/);
    const { token } = await tokenFor(await person(oncall()));
    await expectError(await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: token, body: requestBody() })), 401, "unauthorized");
  });
});
