import { describe, expect, it } from "vitest";
import { JSON_LIMITS, parseStrictJson } from "./strict-json";

const issuesOf = (text: string) => {
  try {
    parseStrictJson(text);
    return "ok";
  } catch (err) {
    const e = err as { code: string; issues: { path: string; message: string }[] };
    return e.code === "invalid_json" ? "invalid_json" : e.issues;
  }
};

describe("parseStrictJson: what the agent meant, or a 400 with the path", () => {
  it("accepts ordinary JSON, the same key in different objects included", () => {
    expect(issuesOf('{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}')).toBe("ok");
    expect(parseStrictJson('{"s":"caf\\u00e9 \\ud83d\\ude00"}')).toEqual({ s: "café 😀" });
  });

  it("refuses duplicate keys, however they are spelled, naming where", () => {
    expect(issuesOf('{"action":"vault.prod.purge","resource":"r","action":"metrics.cpu.lookup"}')).toEqual([
      { path: "action", message: "appears twice in one object (which one was meant?)" },
    ]);
    expect(issuesOf('{"context":{"a":1,"\\u0061":2}}')).toEqual([{ path: "context.a", message: expect.stringContaining("twice") }]);
    expect(issuesOf('{"l":[{"k":1},{"k":1,"k":2}]}')).toEqual([{ path: "l[1].k", message: expect.stringContaining("twice") }]);
  });

  it("refuses __proto__ keys, NUL and lone surrogates, in keys and values", () => {
    expect(issuesOf('{"context":{"__proto__":{"a":1},"b":2}}')).toEqual([{ path: "context.__proto__", message: "the key __proto__ is not allowed" }]);
    expect(issuesOf('{"intent":"a\\u0000b"}')).toEqual([{ path: "intent", message: "must not contain a NUL character" }]);
    expect(issuesOf('{"intent":"\\ud800"}')).toEqual([{ path: "intent", message: "must be valid Unicode (no lone surrogates)" }]);
    expect(issuesOf('{"context":{"\\udc00":1}}')).toEqual([{ path: "context.\udc00", message: "key must be valid Unicode (no lone surrogates)" }]);
    expect(issuesOf('{"origin":{"tool":"\\udc00x"}}')).toEqual([{ path: "origin.tool", message: expect.stringContaining("lone surrogates") }]);
  });

  it("refuses numbers that are not finite instead of storing null", () => {
    expect(issuesOf('{"context":{"n":1e400}}')).toEqual([{ path: "context.n", message: "must be a finite number" }]);
    expect(issuesOf('{"detail":{"n":-1e999}}')).toEqual([{ path: "detail.n", message: "must be a finite number" }]);
  });

  it("refuses deep nesting (5,000 levels in 10 KB) and huge objects without overflowing", () => {
    const deep = '{"context":' + '{"a":'.repeat(5000) + "1" + "}".repeat(5000) + "}";
    expect(issuesOf(deep)).toEqual([{ path: expect.stringMatching(/^context(\.a)+$/), message: `nests deeper than ${JSON_LIMITS.depth} levels` }]);
    const arrays = '{"context":{"x":' + "[".repeat(5000) + "]".repeat(5000) + "}}";
    expect(issuesOf(arrays)).toEqual([{ path: expect.stringMatching(/^context\.x(\[0\])+$/), message: expect.stringContaining("deeper") }]);
    const wide = JSON.stringify({ context: Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i])) });
    expect(issuesOf(wide)).toEqual([{ path: "context", message: `has more than ${JSON_LIMITS.keysPerObject} keys` }]);
  });

  it("says invalid_json for what is not JSON", () => {
    expect(issuesOf("{")).toBe("invalid_json");
    expect(issuesOf("{'a':1}")).toBe("invalid_json");
  });
});
