import { describe, expect, it } from "vitest";
import { callFingerprint, CallLedger, deriveIdempotencyKey } from "./call-ledger.js";

const call = (args: Record<string, unknown>, tool = "deploy", server = "fake") => ({ server, tool, arguments: args });

describe("idempotency keys for repeated tool calls", () => {
  it("are the same for the same call, whatever the key order", async () => {
    const a = callFingerprint(call({ service: "web", version: "1.2.3", opts: { a: 1, b: [1, 2] } }));
    const b = callFingerprint(call({ opts: { b: [1, 2], a: 1 }, version: "1.2.3", service: "web" }));
    expect(a).toBe(b);
    expect(await deriveIdempotencyKey(a, "salt", 0)).toBe(await deriveIdempotencyKey(b, "salt", 0));
  });

  it("differ when the tool, the server, any argument, the salt or the generation differs", async () => {
    const base = callFingerprint(call({ service: "web", version: "1.2.3" }));
    const key = await deriveIdempotencyKey(base, "salt", 0);
    const others = [
      await deriveIdempotencyKey(callFingerprint(call({ service: "web", version: "1.2.4" })), "salt", 0),
      await deriveIdempotencyKey(callFingerprint(call({ service: "web", version: "1.2.3", force: true })), "salt", 0),
      await deriveIdempotencyKey(callFingerprint(call({ service: "web", version: "1.2.3" }, "rollback")), "salt", 0),
      await deriveIdempotencyKey(callFingerprint(call({ service: "web", version: "1.2.3" }, "deploy", "other")), "salt", 0),
      await deriveIdempotencyKey(base, "pepper", 0),
      await deriveIdempotencyKey(base, "salt", 1),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });

  it("fit the server's Idempotency-Key rule (1–200 printable ASCII)", async () => {
    const key = await deriveIdempotencyKey(callFingerprint(call({ q: "ünïcødé ".repeat(500) })), "s", 0);
    expect(key).toMatch(/^mcp-gw-[0-9a-f]{64}$/);
  });

  it("refuse arguments JSON cannot carry", () => {
    expect(() => callFingerprint(call({ n: 10n as unknown }))).toThrow();
  });
});

describe("CallLedger", () => {
  it("keeps a call's key until its outcome is settled, then moves to a new one", async () => {
    const ledger = new CallLedger();
    const fp = callFingerprint(call({ service: "web" }));
    const first = await ledger.keyFor(fp);
    expect(await ledger.keyFor(fp)).toBe(first);
    ledger.settle(fp);
    const second = await ledger.keyFor(fp);
    expect(second).not.toBe(first);
    expect(await ledger.keyFor(callFingerprint(call({ service: "api" })))).not.toBe(second);
  });

  it("gives each gateway process its own keys", async () => {
    const fp = callFingerprint(call({ service: "web" }));
    expect(await new CallLedger().keyFor(fp)).not.toBe(await new CallLedger().keyFor(fp));
  });

  it("remembers which requests it forwarded", () => {
    const ledger = new CallLedger();
    ledger.markForwarded("r1");
    expect(ledger.wasForwarded("r1")).toBe(true);
    expect(ledger.wasForwarded("r2")).toBe(false);
  });

  it("runs identical calls one after the other, and others side by side", async () => {
    const ledger = new CallLedger();
    const events: string[] = [];
    const step = (name: string, ms: number) => async () => {
      events.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      ledger.exclusive("same", step("a", 30)),
      ledger.exclusive("same", step("b", 1)),
      ledger.exclusive("other", step("c", 1)),
    ]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(events.indexOf("b start")).toBeGreaterThan(events.indexOf("a end"));
    expect(events.indexOf("c start")).toBeLessThan(events.indexOf("a end"));
  });

  it("keeps going after a call fails", async () => {
    const ledger = new CallLedger();
    await expect(ledger.exclusive("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(ledger.exclusive("k", async () => "next")).resolves.toBe("next");
  });
});
