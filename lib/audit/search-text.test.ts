import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_SEARCH_IDS, searchFieldsOf, searchTermParts } from "./search-text";

const AGENT = "0b7e5c1a-3f7d-4c6e-9a55-1d2e3f4a5b6c";
const HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

const created = {
  type: "request.created",
  actorId: AGENT,
  actor: { kind: "agent", id: AGENT, display: "Deploy-Bot" },
  action: "deploy.service",
  environment: "Production",
  payload: {
    resource: "svc/Payments-API",
    intent: `Roll out ${SHA1} per CHG-1747`,
    params_hash: HASH,
    origin: { host: "ci-runner-3", run: 42, retried: false, labels: ["blue", null, "Green"] },
    on_behalf_of: null,
    grant: `/api/v1/grants/${AGENT.toUpperCase()}`,
  },
};

describe("what the timeline searches in an event", () => {
  it("its words as written (the database lower-cases them): type, actor, action, environment, display, the payload's values in order, not its keys", () => {
    const { searchText } = searchFieldsOf(created);
    expect(searchText).toBe(
      "request.created deploy.service Production Deploy-Bot svc/Payments-API Roll out   per CHG-1747 ci-runner-3 42 false blue Green /api/v1/grants/ ",
    );
    for (const key of ["params_hash", "origin", "on_behalf_of", "resource", "intent"]) expect(searchText).not.toContain(key);
  });

  it("its identifiers (UUIDs, hex runs of 32 or more) apart, lower-cased, once each, wherever they were", () => {
    const { searchText, searchIds } = searchFieldsOf(created);
    expect(searchIds).toEqual([AGENT, SHA1, HASH]);
    for (const id of searchIds) expect(searchText).not.toContain(id);
    // Shorter hex is a word like any other.
    expect(searchFieldsOf({ ...created, payload: { note: "build 3f2a9c1e" } }).searchText).toContain("build 3f2a9c1e");
    expect(searchFieldsOf({ ...created, payload: {} }).searchIds).toEqual([AGENT]);
  });

  it("a person or the system as actor: their id is a word", () => {
    const { searchText, searchIds } = searchFieldsOf({ type: "auth.signed_in", actorId: "Ann@Acme.example", actor: { display: "Ann" }, payload: {} });
    expect(searchText).toBe("auth.signed_in Ann@Acme.example Ann");
    expect(searchIds).toEqual([]);
  });

  it("identifiers are bounded: 32 to 128 hex digits (longer runs are text), at most MAX_SEARCH_IDS per event", () => {
    const hex = (n: number) => "ab12".repeat(Math.ceil(n / 4)).slice(0, n);
    expect(searchFieldsOf({ ...created, payload: { x: hex(128) } }).searchIds).toContain(hex(128));
    const long = searchFieldsOf({ ...created, payload: { x: hex(3200) } });
    expect(long.searchIds).toEqual([AGENT]);
    expect(long.searchText).toContain(hex(3200));
    expect(searchFieldsOf({ ...created, payload: { x: hex(31) } }).searchIds).toEqual([AGENT]);
    // Any case in, lower-cased out; a hex run inside a longer word of hex is not cut out of it.
    expect(searchFieldsOf({ ...created, payload: { x: `sha256:${HASH.toUpperCase()}` } }).searchIds).toEqual([AGENT, HASH]);
    const many = Array.from({ length: MAX_SEARCH_IDS + 10 }, (_, i) => i.toString(16).padStart(32, "0"));
    const capped = searchFieldsOf({ ...created, payload: { many } });
    expect(capped.searchIds).toHaveLength(MAX_SEARCH_IDS);
    expect(capped.searchText).toContain(many.at(-1)!);
  });

  it("a search term: its identifiers and the pieces of text around them", () => {
    expect(searchTermParts(`projects/${AGENT.toUpperCase()}/db`)).toEqual({ ids: [AGENT], pieces: ["projects/", "/db"] });
    expect(searchTermParts(`app@${SHA1} rollout`)).toEqual({ ids: [SHA1], pieces: ["app@", "rollout"] });
    expect(searchTermParts("just words")).toEqual({ ids: [], pieces: ["just", "words"] });
  });

  it("whole identifiers as a search term: UUIDs and 32+ hex, any case, trimmed; nothing else", () => {
    const whole = (term: string) => searchTermParts(term).whole;
    expect(whole(` ${AGENT.toUpperCase()} `)).toBe(AGENT);
    expect(whole(HASH)).toBe(HASH);
    expect(whole(SHA1)).toBe(SHA1);
    for (const term of [HASH.slice(0, 31), `${AGENT}x`, `sha:${HASH}`, "deploy", ""]) expect(whole(term)).toBeUndefined();
  });

  it("any payload: every identifier in it is among the ids, none is left in the text, and every word survives", () => {
    const id = fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f]{32,70}$/));
    const word = fc.stringMatching(/^[a-z][a-z0-9 ._/@-]{0,20}$/);
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        word,
        id,
        fc.tuple(word, id, word).map(([a, b, c]) => `${a} ${b} ${c}`),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (payload) => {
        const { searchText, searchIds } = searchFieldsOf({ type: "request.created", actorId: "system", actor: { display: "x" }, payload });
        const json = JSON.stringify(payload) ?? "";
        const ids = json.match(/(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,128})(?![0-9a-f])/g) ?? [];
        for (const found of ids) expect(searchIds).toContain(found);
        expect(new Set(searchIds).size).toBe(searchIds.length);
        expect(searchText).not.toMatch(/(?<![0-9a-f])(?:[0-9a-f]{32,128}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![0-9a-f])/);
      }),
      { numRuns: 500 },
    );
  });
});
