// Reviewer authority that stays current, tried as an attacker would: a session cookie replayed after
// the person's groups were removed at the provider (confirmed again through a real refresh against a
// local OIDC provider standing in for Okta, which checks refresh tokens as Okta does), after
// sign-out, after the idle timeout and the absolute lifetime; two identities of one person making a
// quorum; an agent owner approving under a second identity; sign-ins Okta or GitHub do not vouch for.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { findIdentity } from "@/db/queries/people";
import { selectReviews } from "@/db/queries/requests";
import { resolveAuthority } from "@/lib/auth/authority";
import { readAuthSettings } from "@/lib/auth/config";
import { linkPeople, recordIdentity, recordSignIn, REFRESH_CREDENTIAL, type SignInClaims } from "@/lib/auth/people";
import { unseal } from "@/lib/auth/sealed";
import { endSessionAtSignOut, liveSession } from "@/lib/auth/sessions";
import { claimsAtSignIn } from "@/lib/auth/sign-in-claims";
import { env, resetEnvCache } from "@/lib/config/env";
import { createRequest, decideRequest } from "@/lib/requests/lifecycle";
import { startOidcProvider, type OidcProvider, type OidcUser } from "../../e2e/support/oidc";
import { errorCode, makeAgent, requestBody } from "../support/fixtures";

let idp: OidcProvider;
const saved = { ...process.env };

beforeAll(async () => {
  idp = await startOidcProvider();
  Object.assign(process.env, { AUTH_OKTA_ID: "countersign-test", AUTH_OKTA_SECRET: "okta-secret", AUTH_OKTA_ISSUER: idp.issuer });
  resetEnvCache();
});

afterAll(async () => {
  for (const k of ["AUTH_OKTA_ID", "AUTH_OKTA_SECRET", "AUTH_OKTA_ISSUER"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetEnvCache();
  await idp.stop();
});

let n = 0;
/** A person at the Okta stand-in, signed in to the console: their session id and claims. */
async function oktaSignIn(groups: string[], opts: { email?: string; at?: Date; authTime?: Date } = {}) {
  n++;
  const user: OidcUser = { sub: `00u-${n}-${Date.now()}`, email: opts.email ?? `okta-${n}-${Date.now()}@acme.test`, name: `Okta ${n}`, groups };
  const at = opts.at ?? new Date();
  const claims: SignInClaims = {
    issuer: idp.issuer,
    subject: user.sub,
    idp: "okta",
    login: user.email,
    email: user.email,
    emailVerified: true,
    name: user.name,
    groups,
    authTime: opts.authTime ?? at,
    refreshCredential: idp.issueRefreshToken(user),
  };
  const { sessionId, identity } = await recordSignIn(claims, at);
  return { user, sessionId, identity, claims };
}

/** An `iam.*` request: needs the `security` approver group (security-team), 2 approvals. */
async function iamRequest(owner = "owner@acme.test") {
  const { agent } = await makeAgent(owner);
  return (await createRequest(agent, requestBody({ action: "iam.role.update", environment: "staging" }))).request;
}
/** A request that needs one approval from platform-oncall, no step-up. */
async function deployRequest(owner = "owner@acme.test", onBehalfOf?: string) {
  const { agent } = await makeAgent(owner);
  return (await createRequest(agent, requestBody({ environment: "staging", on_behalf_of: onBehalfOf }))).request;
}

const minutes = (m: number, from = new Date()) => new Date(from.getTime() + m * 60_000);
const votesOn = async (id: string) => selectReviews(await getDb(), [id]);

describe("fresh groups at decision time (the stale-cookie replay)", () => {
  it("a session whose groups were confirmed minutes ago decides with them, without asking the provider", async () => {
    const { sessionId } = await oktaSignIn(["platform-oncall"]);
    const request = await deployRequest();
    const before = idp.refreshRequests();
    expect((await decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console")).status).toBe("approved");
    expect(idp.refreshRequests()).toBe(before);
  });

  it("after the provider removed the group, the old session's approval is refused once the groups are older than the limit", async () => {
    const signedInAt = new Date();
    const { sessionId, user } = await oktaSignIn(["platform-oncall"], { at: signedInAt });
    idp.setGroups(user.sub, []);
    const request = await deployRequest();
    // Minutes later the cookie is replayed: the groups are re-read from Okta through the refresh token.
    const later = minutes(env().COUNTERSIGN_GROUPS_MAX_AGE / 60_000 + 1, signedInAt);
    const before = idp.refreshRequests();
    // The session itself is still fresh (not idle): only the groups are stale.
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console", { now: minutes(9, signedInAt) }))).toBe("ok");
    const second = await deployRequest();
    idp.setGroups(user.sub, []);
    // Okta now says: no groups at all, so no reviewer role.
    expect(await errorCode(decideRequest(second.id, { kind: "session", sessionId }, "approve", undefined, "console", { now: later }))).toBe("forbidden");
    expect(idp.refreshRequests()).toBe(before + 1);
    expect(await votesOn(second.id)).toHaveLength(0);
  });

  it("the refreshed groups are what count: removed from the approver group, still a reviewer → not eligible; the new refresh token is kept sealed", async () => {
    const signedInAt = new Date();
    const { sessionId, user, identity } = await oktaSignIn(["platform-oncall", "security-team"], { at: signedInAt });
    const request = await iamRequest();
    idp.setGroups(user.sub, ["platform-oncall"]);
    const later = minutes(11, signedInAt);
    // The idle timeout would end a session unused for 30 minutes; keep this one alive at 11.
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console", { now: later }))).toBe("not_eligible");
    const stored = (await findIdentity(await getDb(), identity.issuer, identity.subject))!;
    expect(stored.groups).toEqual(["platform-oncall"]);
    expect(stored.groupsConfirmedAt?.getTime()).toBe(later.getTime());
    // Rotated: the new refresh token is stored sealed, never in clear, and it works next time.
    expect(stored.refreshCredential).not.toContain("rt-");
    expect(await unseal(REFRESH_CREDENTIAL, stored.refreshCredential!)).toMatch(/^rt-/);
    idp.setGroups(user.sub, ["platform-oncall", "security-team"]);
    const again = minutes(22, signedInAt);
    expect((await resolveAuthority({ kind: "session", sessionId }, again)).groups).toEqual(["platform-oncall", "security-team"]);
  });

  it("when the provider will not confirm (refresh token revoked), the decision is refused with 'sign in again', never approved on stale data", async () => {
    const signedInAt = new Date();
    const { sessionId, user } = await oktaSignIn(["platform-oncall"], { at: signedInAt });
    idp.revokeRefreshTokens(user.sub);
    const request = await deployRequest();
    const err = await decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console", { now: minutes(11, signedInAt) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "reauthentication_required", message: expect.stringContaining("Sign in to Countersign again") });
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("an identity with no refresh credential at all cannot be confirmed later either", async () => {
    const at = new Date();
    const { claims } = await oktaSignIn(["platform-oncall"]);
    const identity = await recordIdentity({ ...claims, subject: `no-refresh-${Date.now()}`, email: `no-refresh-${Date.now()}@acme.test`, refreshCredential: null }, at);
    const request = await deployRequest();
    expect(await errorCode(decideRequest(request.id, { kind: "person", personId: identity.personId }, "approve", undefined, "console", { now: minutes(11, at) }))).toBe(
      "reauthentication_required",
    );
  });
});

describe("sessions the server can end", () => {
  it("sign-out ends the session everywhere: the old cookie's session neither reads nor decides", async () => {
    const { sessionId } = await oktaSignIn(["platform-oncall"]);
    expect(await liveSession(sessionId)).not.toBeNull();
    await endSessionAtSignOut(sessionId);
    expect(await liveSession(sessionId)).toBeNull();
    const request = await deployRequest();
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console"))).toBe("unauthorized");
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("a session idle longer than the timeout is over (and ended), one in use stays alive", async () => {
    const t0 = new Date();
    const idle = env().COUNTERSIGN_SESSION_IDLE_TIMEOUT;
    const { sessionId } = await oktaSignIn(["platform-oncall"], { at: t0 });
    // Used after 20 minutes: alive, and its last use moves.
    expect(await liveSession(sessionId, new Date(t0.getTime() + idle - 10 * 60_000))).not.toBeNull();
    expect(await liveSession(sessionId, new Date(t0.getTime() + idle + 60_000))).not.toBeNull();
    // Then left alone past the timeout.
    const late = new Date(t0.getTime() + 2 * idle + 120_000);
    const request = await deployRequest();
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId }, "approve", undefined, "console", { now: late }))).toBe("unauthorized");
    expect(await liveSession(sessionId, late)).toBeNull();
    expect(await liveSession(sessionId, new Date(t0.getTime() + idle))).toBeNull(); // ended for good
  });

  it("a session past its absolute lifetime is over however busy it was", async () => {
    const t0 = new Date();
    const { sessionId } = await oktaSignIn(["platform-oncall"], { at: t0 });
    const step = env().COUNTERSIGN_SESSION_IDLE_TIMEOUT / 2;
    let t = t0.getTime();
    while (t + step < t0.getTime() + env().COUNTERSIGN_SESSION_MAX_LIFETIME) {
      t += step;
      expect(await liveSession(sessionId, new Date(t))).not.toBeNull();
    }
    expect(await liveSession(sessionId, new Date(t0.getTime() + env().COUNTERSIGN_SESSION_MAX_LIFETIME))).toBeNull();
  });
});

describe("people, not e-mail strings", () => {
  it("two identities of one person (same verified e-mail) are linked and cannot make a 2-of-2 quorum", async () => {
    const email = `alice-${Date.now()}@acme.test`;
    const okta = await oktaSignIn(["security-team"], { email });
    const github = await recordSignIn({
      issuer: "https://github.com",
      subject: `gh-${Date.now()}`,
      idp: "github",
      login: "alice-gh",
      email,
      emailVerified: true,
      name: "Alice (GitHub)",
      groups: ["security-team"],
      authTime: new Date(),
    });
    expect(github.identity.personId).toBe(okta.identity.personId);
    const request = await iamRequest();
    expect((await decideRequest(request.id, { kind: "session", sessionId: okta.sessionId }, "approve", undefined, "console")).approvals).toEqual({ count: 1, required: 2 });
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId: github.sessionId }, "approve", undefined, "console"))).toBe("already_voted");
    expect(await votesOn(request.id)).toHaveLength(1);
  });

  it("identities an admin links count once too, even after one of them already voted", async () => {
    const a = await oktaSignIn(["security-team"]);
    const b = await oktaSignIn(["security-team"]);
    const request = await iamRequest();
    await decideRequest(request.id, { kind: "session", sessionId: a.sessionId }, "approve", undefined, "console");
    await linkPeople({ actor: { kind: "user", id: "admin", display: "Admin" } }, b.identity.personId, a.identity.personId);
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId: b.sessionId }, "approve", undefined, "console"))).toBe("already_voted");
    const other = await oktaSignIn(["security-team"]);
    expect((await decideRequest(request.id, { kind: "session", sessionId: other.sessionId }, "approve", undefined, "console")).status).toBe("approved");
  });

  it("an agent's owner signing in under a second identity still cannot approve (nor the on_behalf_of human)", async () => {
    const ownerEmail = `owner-${Date.now()}@acme.test`;
    const work = await oktaSignIn(["platform-oncall"], { email: ownerEmail });
    const personal = await oktaSignIn(["platform-oncall"], { email: `owner-personal-${Date.now()}@example.com` });
    const request = await deployRequest(ownerEmail);
    // Unlinked, the personal identity is someone else as far as anyone can tell...
    expect(personal.identity.personId).not.toBe(work.identity.personId);
    // ...until linked: then every identity of the person carries the owner's exclusion.
    await linkPeople({ actor: { kind: "user", id: "admin", display: "Admin" } }, personal.identity.personId, work.identity.personId);
    expect(await errorCode(decideRequest(request.id, { kind: "session", sessionId: personal.sessionId }, "approve", undefined, "console"))).toBe("self_approval");
    const forHer = await deployRequest("someone@acme.test", ownerEmail);
    expect(await errorCode(decideRequest(forHer.id, { kind: "session", sessionId: personal.sessionId }, "approve", undefined, "console"))).toBe("self_approval");
    expect(await votesOn(request.id)).toHaveLength(0);
  });

  it("an e-mail that is not verified links nobody", async () => {
    const email = `carol-${Date.now()}@acme.test`;
    const okta = await oktaSignIn(["platform-oncall"], { email });
    const unverified = await recordIdentity({ ...okta.claims, issuer: "https://github.com", subject: `gh-carol-${Date.now()}`, idp: "github", emailVerified: false });
    expect(unverified.personId).not.toBe(okta.identity.personId);
  });
});

describe("sign-in: only what the provider vouches for", () => {
  const okta = () => readAuthSettings();
  const account = { provider: "okta", providerAccountId: "00u-x", access_token: "at", refresh_token: "rt" };

  it("Okta: an unverified (or unstated) e-mail is refused", async () => {
    expect(await claimsAtSignIn(okta(), account, { sub: "00u-x", email: "x@acme.test", email_verified: false }, {})).toBe("EmailNotVerified");
    expect(await claimsAtSignIn(okta(), account, { sub: "00u-x", email: "x@acme.test" }, {})).toBe("EmailNotVerified");
    const claims = await claimsAtSignIn(okta(), account, { sub: "00u-x", email: "X@acme.test", email_verified: true, groups: ["a"], auth_time: 1_900_000_000 }, {});
    expect(claims).toMatchObject({ issuer: idp.issuer, subject: "00u-x", email: "x@acme.test", emailVerified: true, groups: ["a"], refreshCredential: "rt" });
    expect(typeof claims === "object" && claims.authTime.getTime()).toBe(1_900_000_000_000);
  });

  it("GitHub: members of AUTH_GITHUB_ORGS only; a verified primary e-mail required", async () => {
    const state = { memberships: [] as { state: string; organization: { login: string } }[], primaryVerified: true };
    const api = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://stub");
      const send = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.headers.authorization !== "Bearer gho_ok") return void res.writeHead(401).end("{}");
      if (url.pathname === "/user") return send({ id: 42, login: "mallory", name: "Mallory" });
      if (url.pathname === "/user/emails") return send([{ email: "mallory@example.com", primary: true, verified: state.primaryVerified }]);
      if (url.pathname === "/user/memberships/orgs") return send(state.memberships);
      if (url.pathname === "/user/teams") return send([{ slug: "sre", organization: { login: "acme" } }]);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    try {
      const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const settings = { ...okta(), github: { clientId: "c", clientSecret: "s", apiUrl, orgs: ["acme"] } };
      const gh = { provider: "github", providerAccountId: "42", access_token: "gho_ok", refresh_token: undefined };
      expect(await claimsAtSignIn(settings, gh, undefined, {})).toBe("NotOrgMember");
      state.memberships = [{ state: "active", organization: { login: "elsewhere" } }];
      expect(await claimsAtSignIn(settings, gh, undefined, {})).toBe("NotOrgMember");
      state.memberships = [{ state: "active", organization: { login: "Acme" } }];
      expect(await claimsAtSignIn(settings, gh, undefined, {})).toMatchObject({ issuer: "https://github.com", subject: "42", groups: ["github:acme/sre"], email: "mallory@example.com" });
      state.primaryVerified = false;
      expect(await claimsAtSignIn(settings, gh, undefined, {})).toBe("EmailNotVerified");
    } finally {
      await new Promise((r) => api.close(r));
    }
  });
});
