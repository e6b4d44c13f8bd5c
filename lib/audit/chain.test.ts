// eventContentCanonical writes the top level member by member: on any row (odd strings, lone
// surrogates, nulls, nested JSON of every kind) its bytes must be eventCanonical's, because the
// verifier's hash and MAC checks compare against what the sealer computed through eventCanonical.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventCanonical, eventContentCanonical, hashedFieldsOf, type ContentColumns } from "./chain";

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.constantFrom("\ud800", "a\udfffb", "\\ud800", "\u2028", '"', "\\"));
const maybe = fc.option(text, { nil: null });
const json = fc.jsonValue();
const row: fc.Arbitrary<ContentColumns> = fc.record({
  eventId: fc.oneof(fc.uuid(), text),
  occurredAtMs: fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }),
  type: text,
  actor: fc.oneof(fc.record({ kind: text, id: text, display: text }), json),
  channel: text,
  requestId: fc.option(fc.uuid(), { nil: null }),
  agentId: maybe,
  action: maybe,
  environment: maybe,
  riskLevel: maybe,
  outcome: maybe,
  payload: fc.oneof(fc.dictionary(text, json), json),
});

/** The text, or the error it throws (the reference refuses lone surrogates: both must refuse). */
function outcome(f: () => string): { text: string } | { error: string } {
  try {
    return { text: f() };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

describe("eventContentCanonical", () => {
  it("is eventCanonical byte for byte on arbitrary rows", () => {
    fc.assert(
      fc.property(row, (r) => {
        expect(outcome(() => eventContentCanonical(r))).toEqual(outcome(() => eventCanonical(hashedFieldsOf(r))));
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses exactly what eventCanonical refuses (a lone surrogate goes to the reference)", () => {
    const base: ContentColumns = { eventId: "e", occurredAtMs: 0, type: "t", actor: { id: "a" }, channel: "api", requestId: null, agentId: null, action: null, environment: null, riskLevel: null, outcome: null, payload: {} };
    for (const odd of [{ payload: { s: "\ud800" } }, { action: "\udc00" }, { actor: { n: Number.NaN } }, { occurredAtMs: Number.NaN }]) {
      const r = { ...base, ...odd } as ContentColumns;
      const fast = outcome(() => eventContentCanonical(r));
      expect(fast, JSON.stringify(Object.keys(odd))).toEqual(outcome(() => eventCanonical(hashedFieldsOf(r))));
      expect("error" in fast, JSON.stringify(Object.keys(odd))).toBe(true);
    }
  });
});
