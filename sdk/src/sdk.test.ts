// The SDK's own rules, without a server: params_hash and grant verification against the published
// evidence vectors (and the attacks on a grant), the outcome of a decided request as errors, and
// which calls are retried when (a claim is never sent twice once it may have reached the server).
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { importJWK, SignJWT, type JSONWebKeySet, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { Countersign, outcome } from "./client.js";
import { ApiError, CancelledError, ConnectionError, DeniedError, ExpiredError, RefusedByPolicyError } from "./errors.js";
import { verifyGrant } from "./grant.js";
import { paramsHash } from "./params.js";
import type { RequestView } from "./types.js";

type Vectors = {
  test_key: { kid: string; private_jwk: JWK; jwks: JSONWebKeySet };
  checkpoint: { jws: string };
  grant: { params: { action: string; resource: string; environment: string; context: Record<string, unknown> }; params_hash: string; jws: string };
};
const v = JSON.parse(fs.readFileSync(fileURLToPath(new URL("../../tests/fixtures/evidence-vectors.json", import.meta.url)), "utf8")) as Vectors;
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown> & { iat: number; exp: number };
const atIssue = new Date(claimsOf(v.grant.jws).iat * 1000);
const sign = async (claims: object, header: Record<string, unknown> = {}) =>
  new SignJWT(claims as never)
    .setProtectedHeader({ alg: "EdDSA", kid: v.test_key.kid, typ: "countersign-grant+jwt", ...header })
    .sign((await importJWK({ ...v.test_key.private_jwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey);

describe("params_hash and verifyGrant against the published vectors", () => {
  it("recomputes the vector's params_hash", async () => {
    expect(await paramsHash(v.grant.params)).toBe(v.grant.params_hash);
    // Key order never matters; any changed byte does.
    const { context, environment, resource, action } = v.grant.params;
    expect(await paramsHash({ context, environment, resource, action })).toBe(v.grant.params_hash);
    expect(await paramsHash({ ...v.grant.params, context: { ...context, add: ["s3:GetObject "] } })).not.toBe(v.grant.params_hash);
  });

  it("accepts the vector grant inside its window, with every expectation met", async () => {
    const ok = await verifyGrant(v.grant.jws, { jwks: v.test_key.jwks, now: atIssue, expect: { params_hash: v.grant.params_hash, action: v.grant.params.action } });
    expect(ok).toMatchObject({ ok: true, kid: v.test_key.kid, claims: { params_hash: v.grant.params_hash } });
  });

  it("refuses what an attacker would try", async () => {
    const jwks = v.test_key.jwks;
    const claims = claimsOf(v.grant.jws);
    const [h, p, s] = v.grant.jws.split(".") as [string, string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "countersign-grant+jwt" })).toString("base64url")}.${p}.`;
    const edited = `${h}.${Buffer.from(JSON.stringify({ ...claims, resource: "arn:aws:iam::123456789012:policy/admin" })).toString("base64url")}.${s}`;
    const cases: [string, string, object, string][] = [
      ["not a JWS", "hello", {}, "malformed"],
      ["alg none", none, {}, "unsupported_algorithm"],
      ["an edited payload", edited, {}, "bad_signature"],
      ["another key's signature", await sign(claims, { kid: "someone-else" }), {}, "unknown_key"],
      ["a checkpoint, not a grant", v.checkpoint.jws, {}, "wrong_type"],
      ["claims without params_hash", await sign({ ...claims, params_hash: undefined }), {}, "invalid_claims"],
      ["after exp", v.grant.jws, { now: new Date(claims.exp * 1000 + 1) }, "expired"],
      ["other parameters", v.grant.jws, { expect: { params_hash: await paramsHash({ ...v.grant.params, environment: "staging" }) } }, "mismatch"],
    ];
    for (const [what, token, extra, failure] of cases) {
      const result = await verifyGrant(token, { jwks, now: atIssue, ...extra });
      expect(result, what).toMatchObject({ ok: false, failure });
    }
  });
});

const view = (over: Partial<RequestView>): RequestView =>
  ({
    id: "8e0c2a53-4a43-4b4e-8d0b-5d7c3c2b1a01",
    status: "pending",
    reviews: [],
    policy: { rule: "everything-else", decision: "require_approval", hash: "h", explanation: "needs one", approver_groups: [], step_up: false },
    decision_deadline: "2026-12-01T00:00:00.000Z",
    grant_expires_at: null,
    decided_at: null,
    ...over,
  }) as RequestView;

describe("outcome: a decided request as a value or a typed error", () => {
  it("maps each end state", () => {
    expect(outcome(view({ status: "approved" })).status).toBe("approved");
    const denied = view({ status: "denied", reviews: [{ reviewer: "r", name: "Rita", decision: "deny", note: "Not today.", channel: "slack", at: "" }] });
    expect(() => outcome(denied)).toThrow(DeniedError);
    expect(() => outcome(denied)).toThrow("Denied by Rita: Not today.");
    expect(() => outcome(view({ status: "denied", policy: { ...view({}).policy, decision: "deny", rule: "no-drops" } }))).toThrow(RefusedByPolicyError);
    expect(() => outcome(view({ status: "cancelled" }))).toThrow(CancelledError);
    const expired = (() => {
      try {
        outcome(view({ status: "expired", decided_at: "2026-11-30T00:00:00.000Z", grant_expires_at: "2026-11-30T00:15:00.000Z" }));
      } catch (e) {
        return e;
      }
    })();
    expect(expired).toBeInstanceOf(ExpiredError);
    expect((expired as ExpiredError).phase).toBe("grant");
  });
});

describe("retries", () => {
  /** A fetch that plays `script` (a thrown error or a Response per call) and counts the calls. */
  function scripted(script: (() => Response | Error)[]) {
    const calls: string[] = [];
    const f = (async (input: URL | RequestInfo, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname} ${new Headers(init?.headers).get("idempotency-key") ?? ""}`);
      const next = script.shift()?.() ?? new Error("script ran out");
      if (next instanceof Error) throw next;
      return next;
    }) as typeof fetch;
    return { f, calls };
  }
  const refused = () => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
  const reset = () => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const unavailable = json(503, { error: { code: "unavailable", message: "Database unavailable" } }, { "retry-after": "0" });
  const client = (f: typeof fetch) => new Countersign({ url: "http://countersign.test", key: "cs_test", fetch: f, retryFor: 5_000 });

  it("filing retries a reset connection and a 503 under one Idempotency-Key", async () => {
    const { f, calls } = scripted([reset, unavailable, json(201, view({}))]);
    await client(f).requestApproval({ action: "a.b", resource: "r", environment: "e", intent: "i" });
    expect(calls).toHaveLength(3);
    expect(new Set(calls).size).toBe(1); // same method, path and key each time
  });

  it("a claim is retried when it provably was not sent, never after a reset", async () => {
    const a = scripted([refused, unavailable, json(200, { ...view({ status: "executed" }), grant: "x.y.z" })]);
    await client(a.f).claim("id-1");
    expect(a.calls).toHaveLength(3);

    const b = scripted([reset, json(200, {})]);
    await expect(client(b.f).claim("id-1")).rejects.toBeInstanceOf(ConnectionError);
    expect(b.calls).toHaveLength(1);
  });

  it("a 4xx is the server's typed error, not retried", async () => {
    const { f, calls } = scripted([json(409, { error: { code: "already_executed", message: "Claimed before." } })]);
    const err = await client(f).claim("id-1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: "already_executed" });
    expect(calls).toHaveLength(1);
  });

  it("an answer that is not Countersign's says so", async () => {
    const { f } = scripted([() => new Response("<html>proxy login</html>", { status: 200, headers: { "content-type": "text/html" } })]);
    await expect(client(f).getRequest("id-1")).rejects.toThrow("not JSON");
  });
});
