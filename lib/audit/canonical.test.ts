// canonicalJson takes a fast path (sorted copy + JSON.stringify) and hands anything it cannot
// write byte for byte to the reference implementation: on every kind of input, its bytes must be
// the reference's (and it must refuse what the reference refuses).
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./canonical";

const samples: [string, unknown][] = [
  ["an audit event's content", { seq: 7, event_id: "0b6c4d2e-8f1a-4c3b-9d5e-7a6f1e2d3c4b", occurred_at: "2026-09-21T14:13:20.123Z", type: "request.approved", actor: { kind: "user", id: "p@example.com", display: 'Probe, "P"', groups: ["b", "a"] }, channel: "console", request_id: null, payload: { note: "ok\nfine" } }],
  ["numbers", { int: 1, neg: -0, frac: 2.5, big: 1e21, small: 1e-7, max: Number.MAX_SAFE_INTEGER, pi: Math.PI }],
  ["unicode and escapes", { s: "é 😀 \u2028 \u0001 \\ \" \t", "ключ": 1, "😀": 2, a: 3, Z: 4 }],
  ["array-index keys (enumerated first by JavaScript)", { b: 1, "10": 2, "2": 3, a: [3, 2, 1] }],
  ["a __proto__ key", JSON.parse('{"__proto__": {"x": 1}, "a": 1}')],
  ["undefined members and holes", { a: undefined, b: [1, undefined, 3], c: null }],
  ["nested empties", { a: {}, b: [], c: [{}, [[]]] }],
  ["a lone surrogate", { s: "\ud800" }],
  ["a non-plain object (toJSON)", { at: new Date(0) }],
  ["non-finite numbers", { n: Number.NaN }],
];

describe("canonicalJson", () => {
  it.each(samples)("%s: the reference's bytes, or the reference's refusal", (_name, value) => {
    let expected: string | undefined;
    let refusal: unknown;
    try {
      expected = canonicalize(value);
    } catch (err) {
      refusal = err;
    }
    if (refusal !== undefined || expected === undefined) expect(() => canonicalJson(value)).toThrow();
    else expect(canonicalJson(value)).toBe(expected);
  });

  it("sha256Hex is SHA-256 of the UTF-8 text, lower-case hex", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });
});
