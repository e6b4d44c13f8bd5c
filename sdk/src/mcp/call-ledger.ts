// How a repeated MCP tool call finds the request its first attempt filed. MCP clients drop a call
// after a minute or two, so the gateway answers "pending" and the agent calls again; the repeat
// must land on the same request, and only a call with exactly the same tool and arguments may.
// The Idempotency-Key is therefore derived from (server, tool, canonical arguments), plus a salt
// per gateway process and a generation per call that moves on once an outcome has been delivered,
// so the same call made again later (after it ran, or after a denial) files a new request instead
// of replaying a spent one.
import canonicalize from "canonicalize";
import { sha256Hex } from "../params.js";

export type ToolCall = { server: string; tool: string; arguments: Record<string, unknown> };

/** The canonical text (RFC 8785) identifying a call: same tool, same arguments (any key order) → same text. */
export function callFingerprint(call: ToolCall): string {
  const text = canonicalize({ server: call.server, tool: call.tool, arguments: call.arguments });
  if (text === undefined) throw new TypeError("The tool call's arguments are not JSON.");
  return text;
}

/** The Idempotency-Key for one generation of a call: `mcp-gw-` and 64 hex digits. */
export async function deriveIdempotencyKey(fingerprint: string, salt: string, generation: number): Promise<string> {
  return `mcp-gw-${await sha256Hex(`countersign-mcp-gateway/v1\n${salt}\n${generation}\n${fingerprint}`)}`;
}

/**
 * The gateway process's memory of calls: the current generation of each, the requests it has
 * already forwarded (so a replayed, spent request is never forwarded twice), and a per-call lock
 * so two identical calls in flight at once are handled one after the other.
 */
export class CallLedger {
  private readonly generations = new Map<string, number>();
  private readonly forwarded = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly salt: string = globalThis.crypto.randomUUID()) {}

  /** The key the call files under now. */
  async keyFor(fingerprint: string): Promise<string> {
    return deriveIdempotencyKey(fingerprint, this.salt, this.generations.get(fingerprint) ?? 0);
  }

  /** The call's outcome has been delivered: the next identical call files a new request. */
  settle(fingerprint: string): void {
    this.generations.set(fingerprint, (this.generations.get(fingerprint) ?? 0) + 1);
  }

  markForwarded(requestId: string): void {
    this.forwarded.add(requestId);
  }

  wasForwarded(requestId: string): boolean {
    return this.forwarded.has(requestId);
  }

  /** Runs `fn` once every earlier call with this fingerprint has finished. */
  async exclusive<T>(fingerprint: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(fingerprint) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(fingerprint, tail);
    void tail.then(() => {
      if (this.locks.get(fingerprint) === tail) this.locks.delete(fingerprint);
    });
    return run;
  }
}
