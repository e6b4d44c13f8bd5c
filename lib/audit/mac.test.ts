// The per-event MAC and the one canonicalisation behind both it and the chain hash.
import { createHmac, randomBytes } from "node:crypto";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditEventRow } from "@/db/schema";
import { canonicalJson, sha256Hex } from "./canonical";
import { chainCanonical, chainContent, chainHash, eventCanonical, eventContent, GENESIS_HASH } from "./chain";
import { hmacSha256, macChecker, macOf } from "./mac";

const event = {
  eventId: "0b6c4d2e-8f1a-4c3b-9d5e-7a6f1e2d3c4b",
  occurredAt: new Date("2026-09-21T14:13:20.123Z"),
  type: "review.approved",
  actor: { kind: "user", id: "p-1", display: 'Probe, "P"', idp: "okta", groups: ["b", "a"] },
  channel: "console",
  requestId: "6a1f0c52-3d4e-4f60-8a7b-9c0d1e2f3a4b",
  agentId: null,
  action: "deploy.service",
  environment: "production",
  riskLevel: "high",
  outcome: "approved",
  payload: { note: "ok\nfine", params_hash: "ab".repeat(32), type: "a payload member named type" },
} as unknown as AuditEventRow;

const key = { kid: "mac-test", secret: Buffer.alloc(32, 7) };

describe("chain and MAC canonicalisation", () => {
  it("the hashed text is canonical_json of the content with seq, derived from the MAC'd text without it", () => {
    for (const seq of [1, 42, 9_007_199_254_740_991]) {
      expect(chainCanonical(eventCanonical(event), event.type, seq)).toBe(canonicalJson(chainContent(event, seq)));
      expect(chainHash(GENESIS_HASH, event, seq)).toBe(sha256Hex(GENESIS_HASH + canonicalJson(chainContent(event, seq))));
    }
    expect(eventCanonical(event)).toBe(canonicalJson(eventContent(event)));
    expect(eventCanonical(event)).not.toContain('"seq"');
  });

  it("refuses a text that is not an event's canonical content", () => {
    expect(() => chainCanonical('{"type":"x"}', "y", 1)).toThrow();
    expect(() => chainCanonical(eventCanonical(event), event.type, 1.5)).toThrow();
  });
});

describe("event MAC", () => {
  const canonical = eventCanonical(event);
  const mac = macOf(key, canonical);

  it("matches the documented test vector (checked independently with Python's json, hmac and hashlib)", () => {
    expect(canonical).toBe(
      '{"action":"deploy.service","actor":{"display":"Probe, \\"P\\"","groups":["b","a"],"id":"p-1","idp":"okta","kind":"user"},"agent_id":null,"channel":"console","environment":"production","event_id":"0b6c4d2e-8f1a-4c3b-9d5e-7a6f1e2d3c4b","occurred_at":"2026-09-21T14:13:20.123Z","outcome":"approved","payload":{"note":"ok\\nfine","params_hash":"abababababababababababababababababababababababababababababababab","type":"a payload member named type"},"request_id":"6a1f0c52-3d4e-4f60-8a7b-9c0d1e2f3a4b","risk_level":"high","type":"review.approved"}',
    );
    expect(mac).toBe("mac-test:096acd42e54a5f83fd42e93d65cb12d70bc8ea08d9d1d91985ce8b94c640f863");
    expect(chainHash(GENESIS_HASH, event, 1)).toBe("6308a36128c3570159c785626e56c3c15d17de7931dd4579a7845a5ef2c1aca8");
  });

  it("is kid:hex(HMAC-SHA256(key, canonical content without seq))", () => {
    expect(mac).toBe(`mac-test:${createHmac("sha256", key.secret).update(canonicalJson(eventContent(event)), "utf8").digest("hex")}`);
  });

  it("verifies under the active key and under a retired one", () => {
    expect(macChecker({ mac: key, previousMacs: new Map() })(mac, canonical)).toEqual({ ok: true });
    const rotated = { mac: { kid: "mac-new", secret: randomBytes(32) }, previousMacs: new Map([[key.kid, key.secret]]) };
    expect(macChecker(rotated)(mac, canonical)).toEqual({ ok: true });
  });

  it("names a missing, unknown-key, wrong or altered MAC", () => {
    const check = macChecker({ mac: key, previousMacs: new Map() });
    expect(check(null, canonical)).toMatchObject({ ok: false, reason: expect.stringMatching(/^missing MAC/) });
    expect(check(`other:${mac.split(":")[1]}`, canonical)).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown key id "other"/) });
    expect(check(`${key.kid}:${"0".repeat(64)}`, canonical)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad MAC/) });
    expect(check(`${key.kid}:zz`, canonical)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad MAC/) });
    const altered = eventCanonical({ ...event, payload: { ...event.payload, note: "changed" } });
    expect(check(mac, altered)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad MAC/) });
  });
});

describe("the verifier's fast paths equal the reference (property tests)", () => {
  const text = fc.string({ unit: "binary", maxLength: 300 });
  const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ unit: "binary", maxLength: 20 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), tie("value"), { maxKeys: 5 }),
    ),
  })).value;
  const nullable = fc.option(text, { nil: null });
  const row = fc.record({
    eventId: fc.uuid(),
    occurredAt: fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }),
    type: text,
    actor: fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), json, { maxKeys: 6 }),
    channel: text,
    requestId: nullable,
    agentId: nullable,
    action: nullable,
    environment: nullable,
    riskLevel: nullable,
    outcome: nullable,
    payload: fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), json, { maxKeys: 8 }),
  });

  it("eventCanonical is RFC 8785 (the `canonicalize` reference) of the event's content, or refused like it", () => {
    fc.assert(
      fc.property(row, (e) => {
        const content = eventContent(e as unknown as AuditEventRow);
        let expected: string | undefined;
        try {
          expected = canonicalize(content);
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => eventCanonical(e as unknown as AuditEventRow)).toThrow();
        else expect(eventCanonical(e as unknown as AuditEventRow)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("hmacSha256 is createHmac's HMAC-SHA256 for keys shorter and longer than a block", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), fc.array(text, { minLength: 1, maxLength: 4 }), (keyBytes, texts) => {
        const secret = Buffer.from(keyBytes);
        const mac = hmacSha256(secret);
        // The same checker over several texts (its buffers are reused and may grow).
        for (const t of [...texts, "x".repeat(5000), ...texts]) {
          expect(mac(t).toString("hex")).toBe(createHmac("sha256", secret).update(t, "utf8").digest("hex"));
        }
      }),
      { numRuns: 300 },
    );
  });
});
