// SCIM 2.0 provisioning from Okta (/scim/v2), called through the door's one routing table with the
// requests Okta sends (its bodies, its headers), and what the directory does to reviewer authority
// through the real core: a reviewer whose Okta group is removed can no longer approve, even with the
// session (cookie) of a sign-in whose ID token still listed the group; a deactivated reviewer's
// sessions end; re-adding the group restores the right. Bad tokens and malformed bodies change nothing.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scimApi } from "@/app/scim/_lib/scim-api";
import { getDb, rowsOf } from "@/db/client";
import { recordSignIn } from "@/lib/auth/people";
import { liveSession } from "@/lib/auth/sessions";
import { resetEnvCache } from "@/lib/config/env";
import { createRequest, decideRequest } from "@/lib/requests/lifecycle";
import { errorCode, makeAgent, requestBody } from "../support/fixtures";

const TOKEN = "okta-scim-token-for-tests-0123456789abcdefghij";
const OKTA_ISSUER = "https://acme.okta.test/oauth2/default";
const ENV: Record<string, string> = {
  COUNTERSIGN_SCIM_TOKEN: TOKEN,
  AUTH_OKTA_ID: "0oa-countersign-test",
  AUTH_OKTA_SECRET: "okta-client-secret-for-tests",
  AUTH_OKTA_ISSUER: OKTA_ISSUER,
};
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resetEnvCache();
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
});

// ── Okta's client ─────────────────────────────────────────────────────────────────────────────

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

/** The headers Okta's provisioning client sends with every call. */
const OKTA_HEADERS = {
  accept: "application/scim+json",
  "content-type": "application/scim+json; charset=utf-8",
  "user-agent": "Okta SCIM Client 1.0.0",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM responses are read field by field
type Json = any;
type Reply = { status: number; body: Json; headers: Headers };

async function okta(
  method: string,
  path: string,
  body?: unknown,
  opts: { authorization?: string | null; raw?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const authorization = opts.authorization === undefined ? `Bearer ${TOKEN}` : opts.authorization;
  const headers: Record<string, string> = { ...OKTA_HEADERS, ...(authorization === null ? {} : { authorization }), ...opts.headers };
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await scimApi.fetch(new Request(`https://countersign.test/scim/v2${path}`, { method, headers, body: payload as BodyInit | undefined }));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const filter = (f: string) => `filter=${encodeURIComponent(f)}`;

/** Okta's "create user" body, as its SCIM 2.0 guide shows it (password included: Okta may sync one). */
function oktaUser(userName: string, over: Record<string, unknown> = {}) {
  return {
    schemas: [USER],
    userName,
    name: { givenName: "Alice", familyName: "Reviewer" },
    emails: [{ primary: true, value: userName.toLowerCase(), type: "work" }],
    displayName: "Alice Reviewer",
    locale: "en-US",
    externalId: `00u${randomUUID().replace(/-/g, "").slice(0, 17)}`,
    groups: [],
    password: "1mz050nq",
    active: true,
    ...over,
  };
}

const patchOp = (...operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations: operations });
const deactivate = patchOp({ op: "replace", value: { active: false } });
const reactivate = patchOp({ op: "replace", value: { active: true } });
const addMember = (user: { id: string; userName: string }) => patchOp({ op: "add", path: "members", value: [{ value: user.id, display: user.userName }] });
const removeMember = (userId: string) => patchOp({ op: "remove", path: `members[value eq "${userId}"]` });

async function provisionUser(userName: string, over: Record<string, unknown> = {}): Promise<Json> {
  const res = await okta("POST", "/Users", oktaUser(userName, over));
  expect(res.status).toBe(201);
  return res.body;
}

/** As Okta pushes a group: look it up by name, then create it with its members (or add them). */
async function pushGroup(displayName: string, members: { id: string; userName: string }[]): Promise<string> {
  const found = await okta("GET", `/Groups?${filter(`displayName eq "${displayName}"`)}&startIndex=1&count=100`);
  expect(found.status).toBe(200);
  if (found.body.totalResults > 0) {
    const id = found.body.Resources[0].id as string;
    for (const m of members) expect((await okta("PATCH", `/Groups/${id}`, addMember(m))).status).toBe(204);
    return id;
  }
  const created = await okta("POST", "/Groups", { schemas: [GROUP], displayName, members: members.map((m) => ({ value: m.id, display: m.userName })) });
  expect(created.status).toBe(201);
  return created.body.id;
}

// ── the database's view ───────────────────────────────────────────────────────────────────────

/** What a refused call must leave as it was: the directory and its audit trail. */
async function directorySnapshot(): Promise<Record<string, unknown>> {
  const db = await getDb();
  const [row] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select (select count(*) from scim_users)::int as users,
             (select count(*) from scim_users where active)::int as active_users,
             (select count(*) from scim_groups)::int as groups,
             (select count(*) from scim_group_members)::int as memberships,
             (select max(updated_at) from scim_users)::text as users_updated,
             (select max(updated_at) from scim_groups)::text as groups_updated,
             (select count(*) from audit_events where type like 'scim.%')::int as scim_events`),
  );
  return row!;
}

async function scimEvents(scimId: string): Promise<{ type: string; actor: Json; channel: string; payload: Json }[]> {
  const db = await getDb();
  return rowsOf(
    await db.execute(sql`select type, actor, channel, payload from audit_events where payload->>'scim_id' = ${scimId} order by id`),
  );
}

// ── the conformance run ───────────────────────────────────────────────────────────────────────

describe("SCIM 2.0 as Okta calls it", () => {
  it("describes itself: ServiceProviderConfig, ResourceTypes, Schemas", async () => {
    const config = await okta("GET", "/ServiceProviderConfig");
    expect(config.status).toBe(200);
    expect(config.headers.get("content-type")).toBe("application/scim+json; charset=utf-8");
    expect(config.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      filter: { supported: true, maxResults: 200 },
      bulk: { supported: false },
      authenticationSchemes: [{ type: "oauthbearertoken", primary: true }],
    });
    const types = await okta("GET", "/ResourceTypes");
    expect(types.body).toMatchObject({ schemas: [LIST], totalResults: 2 });
    expect(types.body.Resources.map((r: Json) => [r.id, r.endpoint, r.schema])).toEqual([
      ["User", "/Users", USER],
      ["Group", "/Groups", GROUP],
    ]);
    const schemas = await okta("GET", "/Schemas");
    expect(schemas.body.Resources.map((s: Json) => s.id)).toEqual([USER, GROUP]);
    const user = await okta("GET", `/Schemas/${USER}`);
    expect(user.body.attributes.find((a: Json) => a.name === "userName")).toMatchObject({ required: true, uniqueness: "server" });
    expect((await okta("GET", "/ResourceTypes/Nope")).status).toBe(404);
  });

  it("creates, finds, reads and lists a user as Okta provisions one; a taken userName is 409", async () => {
    const userName = `Jo.${randomUUID().slice(0, 8)}@Acme.test`;
    // Okta's "Test connector configuration", then its "does this user exist?".
    const probe = await okta("GET", "/Users?startIndex=1&count=2");
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({ schemas: [LIST], startIndex: 1 });
    expect(probe.body.Resources.length).toBeLessThanOrEqual(2);
    const before = await okta("GET", `/Users?${filter(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(before.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const create = await okta("POST", "/Users", oktaUser(userName));
    expect(create.status).toBe(201);
    const user = create.body;
    expect(user).toMatchObject({
      schemas: [USER],
      userName,
      active: true,
      name: { givenName: "Alice", familyName: "Reviewer" },
      emails: [{ primary: true, value: userName.toLowerCase(), type: "work" }],
      locale: "en-US", // attributes Countersign does not use are kept as sent
      groups: [],
      meta: { resourceType: "User", location: `https://countersign.test/scim/v2/Users/${user.id}` },
    });
    expect(create.headers.get("location")).toBe(user.meta.location);
    expect(user).not.toHaveProperty("password");

    // userName is unique regardless of case.
    const again = await okta("POST", "/Users", oktaUser(userName.toUpperCase()));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR], status: "409", scimType: "uniqueness" });

    expect((await okta("GET", `/Users/${user.id}`)).body).toEqual(user);
    const found = await okta("GET", `/Users?${filter(`userName eq "${userName.toLowerCase()}"`)}&startIndex=1&count=100`);
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, Resources: [{ id: user.id, userName }] });
    const byExternal = await okta("GET", `/Users?${filter(`externalId eq "${user.externalId}"`)}`);
    expect(byExternal.body.Resources.map((r: Json) => r.id)).toEqual([user.id]);
    const projected = await okta("GET", `/Users/${user.id}?attributes=userName`);
    expect(Object.keys(projected.body).sort()).toEqual(["id", "schemas", "userName"]);

    for (const missing of ["not-a-uuid", randomUUID()]) {
      const res = await okta("GET", `/Users/${missing}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: "404" });
    }

    // Audited, by the SCIM actor; the synced password is kept nowhere.
    expect(await scimEvents(user.id)).toEqual([
      {
        type: "scim.user_changed",
        actor: expect.objectContaining({ kind: "system", id: "scim" }),
        channel: "system",
        payload: expect.objectContaining({ scim_id: user.id, user_name: userName, change: "created", active: true }),
      },
    ]);
    const db = await getDb();
    const leaked = rowsOf(await db.execute(sql`select 1 from scim_users where resource::text like '%1mz050nq%' union all select 1 from audit_events where payload::text like '%1mz050nq%'`));
    expect(leaked).toEqual([]);
  });

  it("updates a user by PUT and PATCH as Okta does, auditing what changed and nothing for a no-op", async () => {
    const user = await provisionUser(`pat.${randomUUID().slice(0, 8)}@acme.test`);
    // Okta's PUT: the whole user, with its id, meta and groups echoed back.
    const put = await okta("PUT", `/Users/${user.id}`, {
      ...oktaUser(user.userName, { externalId: user.externalId, name: { givenName: "Another", middleName: "", familyName: "User" } }),
      id: user.id,
      meta: user.meta,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: user.id, name: { givenName: "Another", middleName: "", familyName: "User" }, active: true });

    const patched = await okta(
      "PATCH",
      `/Users/${user.id}`,
      patchOp({ op: "replace", path: "name.familyName", value: "Renamed" }, { op: "replace", path: 'emails[type eq "work"].value', value: "pat.new@acme.test" }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.name.familyName).toBe("Renamed");
    expect(patched.body.emails).toEqual([{ primary: true, value: "pat.new@acme.test", type: "work" }]);

    // Another user's userName, in any case, is taken.
    const other = await provisionUser(`other.${randomUUID().slice(0, 8)}@acme.test`);
    const clash = await okta("PATCH", `/Users/${user.id}`, patchOp({ op: "replace", path: "userName", value: other.userName.toUpperCase() }));
    expect(clash.body).toMatchObject({ status: "409", scimType: "uniqueness" });

    // The same values again (Okta re-pushes): nothing changes, nothing is recorded.
    const events = (await scimEvents(user.id)).length;
    expect((await okta("PATCH", `/Users/${user.id}`, patchOp({ op: "replace", value: { active: true, "name.familyName": "Renamed" } }))).status).toBe(200);
    expect(await scimEvents(user.id)).toHaveLength(events);
    expect((await scimEvents(user.id)).map((e) => e.payload.changed)).toEqual([
      expect.arrayContaining(["userName", "active"]),
      ["name"],
      ["emails", "name"],
    ]);
  });

  it("keeps groups: created with members, found by name, renamed, members added and removed, deleted", async () => {
    const tag = randomUUID().slice(0, 8);
    const a = await provisionUser(`ga.${tag}@acme.test`);
    const b = await provisionUser(`gb.${tag}@acme.test`);
    const name = `eng-${tag}`;
    const created = await okta("POST", "/Groups", { schemas: [GROUP], displayName: name, members: [{ value: a.id, display: a.userName }] });
    expect(created.status).toBe(201);
    const group = created.body;
    expect(group).toMatchObject({ schemas: [GROUP], displayName: name, members: [{ value: a.id, display: a.userName, type: "User" }], meta: { resourceType: "Group" } });
    expect((await okta("POST", "/Groups", { schemas: [GROUP], displayName: name, members: [] })).body).toMatchObject({ status: "409", scimType: "uniqueness" });

    const listed = await okta("GET", `/Groups?${filter(`displayName eq "${name}"`)}&excludedAttributes=members&startIndex=1&count=100`);
    expect(listed.body).toMatchObject({ totalResults: 1, Resources: [{ id: group.id, displayName: name }] });
    expect(listed.body.Resources[0]).not.toHaveProperty("members");

    // Okta's membership push: remove one member, add another, in one message.
    const swap = await okta("PATCH", `/Groups/${group.id}`, patchOp({ op: "remove", path: `members[value eq "${a.id}"]` }, { op: "add", path: "members", value: [{ value: b.id, display: b.userName }] }));
    expect(swap.status).toBe(204);
    expect((await okta("GET", `/Groups/${group.id}`)).body.members.map((m: Json) => m.value)).toEqual([b.id]);
    expect((await okta("GET", `/Users/${b.id}`)).body.groups).toEqual([{ value: group.id, display: name, $ref: `https://countersign.test/scim/v2/Groups/${group.id}`, type: "direct" }]);

    // Okta's rename: replace with the group's id and new name.
    const renamed = `${name}-renamed`;
    expect((await okta("PATCH", `/Groups/${group.id}`, patchOp({ op: "replace", value: { id: group.id, displayName: renamed } }))).status).toBe(204);
    const put = await okta("PUT", `/Groups/${group.id}`, { schemas: [GROUP], id: group.id, displayName: renamed, members: [{ value: a.id }, { value: b.id }] });
    expect(put.body.members.map((m: Json) => m.value).sort()).toEqual([a.id, b.id].sort());

    expect((await okta("DELETE", `/Groups/${group.id}`)).status).toBe(204);
    expect((await okta("GET", `/Groups/${group.id}`)).status).toBe(404);
    expect((await okta("GET", `/Users/${a.id}`)).body.groups).toEqual([]);

    const payloads = (await scimEvents(group.id)).map((e) => ({ type: e.type, ...e.payload }));
    const ids = (xs: Json[]) => xs.map((x) => x.id);
    expect(payloads.map((p) => [p.change, ids(p.added), ids(p.removed), p.previous_display_name])).toEqual([
      ["created", [a.id], [], undefined],
      ["updated", [b.id], [a.id], undefined],
      ["updated", [], [], name],
      ["updated", [a.id], [], undefined],
      ["deleted", [], [a.id, b.id], undefined], // by userName: ga… before gb…
    ]);
    expect(payloads.every((p) => p.type === "scim.group_changed")).toBe(true);
  });
});

// ── authority: the stale-cookie replay of issue 10 ────────────────────────────────────────────

describe("SCIM and reviewer authority", () => {
  it("a reviewer whose security-team membership Okta removed cannot approve with the old session; deactivation ends it; re-adding restores", async () => {
    const tag = randomUUID().slice(0, 8);
    const alice = await provisionUser(`Alice.${tag}@Acme.test`);
    const oncall = await pushGroup("platform-oncall", [alice]);
    const security = await pushGroup("security-team", [alice]);
    expect((await okta("GET", `/Users/${alice.id}`)).body.groups.map((g: Json) => g.display)).toEqual(["platform-oncall", "security-team"]);
    expect(oncall).not.toBe(security);

    // Alice signs in through Okta: her ID token lists both groups; the session is her cookie.
    const signIn = (at = new Date()) =>
      recordSignIn(
        {
          issuer: OKTA_ISSUER,
          subject: `00u${tag}`,
          idp: "okta",
          login: alice.userName.toLowerCase(),
          email: alice.userName.toLowerCase(),
          emailVerified: true,
          name: "Alice Reviewer",
          groups: ["platform-oncall", "security-team"],
          authTime: at,
        },
        at,
      );
    const first = await signIn();
    const asSession = (sessionId: string) => ({ kind: "session" as const, sessionId });

    const { agent } = await makeAgent();
    const iam = async () => (await createRequest(agent, requestBody({ action: "iam.policy.update", environment: "staging", resource: `role/${tag}` }))).request;
    const r1 = await iam();
    expect(r1.policy.approver_groups).toEqual(["security"]);

    // Okta removes her from security-team. Her cookie's sign-in still says security-team: refused.
    expect((await okta("PATCH", `/Groups/${security}`, removeMember(alice.id))).status).toBe(204);
    expect(await errorCode(decideRequest(r1.id, asSession(first.sessionId), "approve", undefined, "console"))).toBe("not_eligible");
    expect(await liveSession(first.sessionId)).not.toBeNull(); // a membership change leaves the session alone

    // Okta adds her back: the same session may approve again.
    expect((await okta("PATCH", `/Groups/${security}`, addMember(alice))).status).toBe(204);
    const voted = await decideRequest(r1.id, asSession(first.sessionId), "approve", undefined, "console");
    expect(voted.approvals).toEqual({ count: 1, required: 2 });

    // Okta deactivates her: the session ends at once, and no door lets her decide.
    const r2 = await iam();
    const off = await okta("PATCH", `/Users/${alice.id}`, deactivate);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(await liveSession(first.sessionId)).toBeNull();
    expect(await errorCode(decideRequest(r2.id, asSession(first.sessionId), "approve", undefined, "console"))).toBe("unauthorized");
    expect(await errorCode(decideRequest(r2.id, { kind: "person", personId: first.identity.personId }, "approve", undefined, "slack"))).toBe("unauthorized");
    // …nor a fresh sign-in while the directory says she is deactivated.
    const whileOff = await signIn();
    expect(await errorCode(decideRequest(r2.id, asSession(whileOff.sessionId), "approve", undefined, "console"))).toBe("unauthorized");

    // Reactivated: the ended session stays ended; a new sign-in decides again.
    expect((await okta("PATCH", `/Users/${alice.id}`, reactivate)).body.active).toBe(true);
    expect(await errorCode(decideRequest(r2.id, asSession(first.sessionId), "approve", undefined, "console"))).toBe("unauthorized");
    const second = await signIn();
    expect((await decideRequest(r2.id, asSession(second.sessionId), "approve", undefined, "console")).approvals.count).toBe(1);

    // Deleted from the directory: sessions end, and the groups of her last sign-in count for nothing.
    const r3 = await iam();
    expect((await okta("DELETE", `/Users/${alice.id}`)).status).toBe(204);
    expect((await okta("GET", `/Users/${alice.id}`)).status).toBe(404);
    expect(await liveSession(second.sessionId)).toBeNull();
    expect(await errorCode(decideRequest(r3.id, asSession(second.sessionId), "approve", undefined, "console"))).toBe("unauthorized");
    expect(await errorCode(decideRequest(r3.id, { kind: "person", personId: second.identity.personId }, "approve", undefined, "slack"))).toBe("forbidden");
    expect((await okta("GET", `/Groups/${security}`)).body.members.map((m: Json) => m.value)).not.toContain(alice.id);

    const events = await scimEvents(alice.id);
    expect(events.map((e) => [e.payload.change, e.payload.sessions_ended])).toEqual([
      ["created", 0],
      ["deactivated", 1],
      ["reactivated", 0],
      ["deleted", 2], // the second sign-in's session, and the one opened while she was deactivated
    ]);
    expect(events.at(-1)!.payload.groups_left).toEqual(["platform-oncall", "security-team"]);
  });
});

describe("SCIM and sessions", () => {
  it("a userName Okta changes ends the sessions its old login opened; a membership change ends none", async () => {
    const tag = randomUUID().slice(0, 8);
    const bo = await provisionUser(`bo.${tag}@acme.test`);
    const group = await pushGroup(`crew-${tag}`, []);
    const claims = { issuer: OKTA_ISSUER, subject: `00ubo${tag}`, idp: "okta" as const, login: bo.userName, email: bo.userName, emailVerified: true, name: "Bo", groups: [], authTime: new Date() };
    const { sessionId } = await recordSignIn(claims);
    expect((await okta("PATCH", `/Groups/${group}`, addMember(bo))).status).toBe(204);
    expect(await liveSession(sessionId)).not.toBeNull();
    const moved = await okta("PATCH", `/Users/${bo.id}`, patchOp({ op: "replace", value: { userName: `bo.renamed.${tag}@acme.test` } }));
    expect(moved.body.userName).toBe(`bo.renamed.${tag}@acme.test`);
    expect(await liveSession(sessionId)).toBeNull();
    expect((await scimEvents(bo.id)).at(-1)!.payload).toMatchObject({ change: "updated", changed: ["userName"], previous_user_name: bo.userName, sessions_ended: 1 });
  });
});

// ── refusals ──────────────────────────────────────────────────────────────────────────────────

function expectScimError(res: Reply, status: number, scimType?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/scim+json; charset=utf-8");
  expect(res.body).toEqual({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) });
  expect(res.body.detail).not.toMatch(/\n\s+at /); // no stack trace
}

describe("SCIM refusals change nothing", () => {
  let user: Json;
  let group = "";

  beforeAll(async () => {
    const tag = randomUUID().slice(0, 8);
    user = await provisionUser(`target.${tag}@acme.test`);
    group = await pushGroup(`target-${tag}`, [user]);
  });

  it.each([
    ["no Authorization header", null],
    ["a wrong token", "Bearer wrong-token"],
    ["the token with a character more", `Bearer ${TOKEN}x`],
    ["the token with a character less", `Bearer ${TOKEN.slice(0, -1)}`],
    ["the token as Basic credentials", `Basic ${Buffer.from(`okta:${TOKEN}`).toString("base64")}`],
    ["the token without a scheme", TOKEN],
  ])("401 for %s", async (_what, authorization) => {
    const before = await directorySnapshot();
    const calls: [string, string, unknown][] = [
      ["GET", "/Users", undefined],
      ["POST", "/Users", oktaUser(`intruder.${randomUUID().slice(0, 8)}@acme.test`)],
      ["PATCH", `/Users/${user.id}`, deactivate],
      ["DELETE", `/Users/${user.id}`, undefined],
      ["PATCH", `/Groups/${group}`, removeMember(user.id)],
      ["DELETE", `/Groups/${group}`, undefined],
      ["GET", "/ServiceProviderConfig", undefined],
    ];
    for (const [method, path, body] of calls) {
      const res = await okta(method, path, body, { authorization });
      expectScimError(res, 401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    }
    expect(await directorySnapshot()).toEqual(before);
    expect((await okta("GET", `/Users/${user.id}`)).body).toMatchObject({ active: true, groups: [{ value: group }] });
  });

  const NUL_USER = `{"schemas":["${USER}"],"userName":"nul\\u0000byte@acme.test","active":true}`;
  const bad: [string, string, () => string, { body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> }, number, string | undefined][] = [
    ["bad JSON", "POST", () => "/Users", { raw: '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":' }, 400, "invalidSyntax"],
    ["an empty body", "POST", () => "/Users", { raw: "" }, 400, "invalidSyntax"],
    ["bytes that are not UTF-8", "POST", () => "/Users", { raw: Uint8Array.from([...Buffer.from('{"userName":"'), 0xff, 0xfe, 0xc3, ...Buffer.from('"}')]) }, 400, "invalidSyntax"],
    ["a NUL in userName", "POST", () => "/Users", { raw: NUL_USER }, 400, "invalidValue"],
    ["a NUL in an attribute kept as sent", "POST", () => "/Users", { raw: `{"schemas":["${USER}"],"userName":"x@acme.test","title":"a\\u0000b"}` }, 400, "invalidValue"],
    ["a lone surrogate", "POST", () => "/Users", { raw: `{"schemas":["${USER}"],"userName":"x@acme.test","name":{"givenName":"\\ud800"}}` }, 400, "invalidValue"],
    ["a control character in userName", "POST", () => "/Users", { body: oktaUser("tab\there@acme.test") }, 400, "invalidValue"],
    ["no userName", "POST", () => "/Users", { body: { schemas: [USER], active: true } }, 400, "invalidValue"],
    ["active as a string", "POST", () => "/Users", { body: oktaUser("str@acme.test", { active: "false" }) }, 400, "invalidValue"],
    ["an array body", "POST", () => "/Users", { body: [oktaUser("arr@acme.test")] }, 400, "invalidValue"],
    ["a Group schema posted as a User", "POST", () => "/Users", { body: oktaUser("grp@acme.test", { schemas: [GROUP] }) }, 400, "invalidValue"],
    ["nesting 40 deep", "POST", () => "/Users", { raw: `{"userName":"deep@acme.test","x":${"[".repeat(40)}${"]".repeat(40)}}` }, 400, "invalidValue"],
    ["an unknown op", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "deactivate", value: { active: false } }) }, 400, "invalidValue"],
    ["no Operations", "PATCH", () => `/Users/${user.id}`, { body: { schemas: [PATCH_OP], op: "replace", value: { active: false } } }, 400, "invalidValue"],
    ["a remove without a path", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "remove", value: { active: false } }) }, 400, "noTarget"],
    ["an unparseable path", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "replace", path: 'emails[type eq "work"', value: "x" }) }, 400, "invalidPath"],
    ["a change to groups on the user", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "add", path: "groups", value: [{ value: group }] }) }, 400, "mutability"],
    ["removing active", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "remove", path: "active" }) }, 400, "invalidValue"],
    ["a later bad operation (the earlier one is not applied)", "PATCH", () => `/Users/${user.id}`, { body: patchOp({ op: "replace", value: { active: false } }, { op: "remove" }) }, 400, "noTarget"],
    ["a PUT that changes the id", "PUT", () => `/Users/${user.id}`, { get body() { return { ...oktaUser(user.userName), id: randomUUID() }; } }, 400, "mutability"],
    ["a member who is not provisioned", "PATCH", () => `/Groups/${group}`, { body: patchOp({ op: "add", path: "members", value: [{ value: randomUUID() }] }) }, 400, "invalidValue"],
    ["a member id that is not an id", "PATCH", () => `/Groups/${group}`, { body: patchOp({ op: "add", path: "members", value: [{ value: "'; drop table scim_users; --" }] }) }, 400, "invalidValue"],
    ["a group without a name", "POST", () => "/Groups", { body: { schemas: [GROUP], displayName: "  ", members: [] } }, 400, "invalidValue"],
    ["a filter with an unsupported operator", "GET", () => `/Users?${filter('userName co "target"')}`, {}, 400, "invalidFilter"],
    ["a filter without a value", "GET", () => `/Users?${filter("userName eq")}`, {}, 400, "invalidFilter"],
    ["a filter on an unsupported attribute", "GET", () => `/Users?${filter('nickName eq "x"')}`, {}, 400, "invalidFilter"],
    ["a filter joined with and", "GET", () => `/Groups?${filter('displayName eq "a" and externalId eq "b"')}`, {}, 400, "invalidFilter"],
    ["a filter with odd bytes", "GET", () => "/Users?filter=userName%20eq%20%22%FF%FE", {}, 400, "invalidFilter"],
    ["a filter comparing with a NUL", "GET", () => `/Users?${filter('userName eq "\\u0000"')}`, {}, 400, "invalidFilter"],
    ["a startIndex that is no number", "GET", () => "/Users?startIndex=abc", {}, 400, "invalidValue"],
    ["a body that is not JSON", "POST", () => "/Users", { raw: "userName=x", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415, undefined],
    ["a body over 1 MiB", "POST", () => "/Users", { raw: JSON.stringify(oktaUser("big@acme.test", { title: "x".repeat(1024 * 1024) })) }, 413, undefined],
  ];

  it.each(bad)("%s", async (_what, method, path, opts, status, scimType) => {
    const before = await directorySnapshot();
    expectScimError(await okta(method, path(), opts.body, { raw: opts.raw, headers: opts.headers }), status, scimType);
    expect(await directorySnapshot()).toEqual(before);
  });

  it("answers unknown paths and other methods with the SCIM envelope, never an HTML page", async () => {
    expectScimError(await okta("GET", "/Nope"), 404);
    expectScimError(await okta("GET", "/Users/x/y"), 404);
    const wrongMethod = await okta("DELETE", "/ServiceProviderConfig");
    expectScimError(wrongMethod, 405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect((await okta("PATCH", "/Users", deactivate)).headers.get("allow")).toBe("GET, POST");
    expectScimError(await okta("PATCH", `/Users/${randomUUID()}`, deactivate), 404);
  });

  it("does not exist without COUNTERSIGN_SCIM_TOKEN: 404 with the envelope, whatever the token", async () => {
    delete process.env.COUNTERSIGN_SCIM_TOKEN;
    resetEnvCache();
    try {
      const before = await directorySnapshot();
      const res = await okta("PATCH", `/Users/${user.id}`, deactivate);
      expectScimError(res, 404);
      expect(res.body.detail).toMatch(/not enabled/);
      expect(await directorySnapshot()).toEqual(before);
    } finally {
      process.env.COUNTERSIGN_SCIM_TOKEN = TOKEN;
      resetEnvCache();
    }
  });
});
