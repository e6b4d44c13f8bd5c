// The SDK recomputes params_hash in the agent's process (WebCrypto, the `canonicalize` package);
// the server computes it at filing (its own RFC 8785 writer). A grant is only useful if the two
// agree on every JSON value an agent can send: odd keys, unicode, numbers, nesting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { paramsHash as sdkParamsHash } from "@countersign/sdk";
import { paramsHash as serverParamsHash } from "@/lib/requests/lifecycle";

describe("params_hash: the SDK and the server agree", () => {
  it("for any JSON context", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          action: fc.constant("deploy.service"),
          resource: fc.string({ unit: "binary", maxLength: 40 }),
          environment: fc.constantFrom("production", "staging"),
          context: fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })),
        }),
        async (params) => {
          const context = JSON.parse(JSON.stringify(params.context)) as Record<string, unknown>; // what the wire carries
          expect(await sdkParamsHash({ ...params, context })).toBe(serverParamsHash({ ...params, context }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("for the awkward cases by name", async () => {
    const contexts: Record<string, unknown>[] = [
      { "10": 1, "2": 2, a: 3 }, // integer-like keys
      { ["__proto__"]: { x: 1 } },
      { n: [1e21, 1e-7, -0, 0.1 + 0.2, Number.MAX_SAFE_INTEGER] },
      { s: "é\u0301 — 🚀 \u2028 \"quoted\" \\ \n" },
      {},
    ];
    for (const context of contexts) {
      const p = { action: "db.migrate", resource: "orders", environment: "production", context: JSON.parse(JSON.stringify(context)) as Record<string, unknown> };
      expect(await sdkParamsHash(p), JSON.stringify(context)).toBe(serverParamsHash(p));
    }
  });
});
