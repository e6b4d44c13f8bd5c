// The MCP gateway's core: stands in front of one downstream MCP server, lists its tools
// unchanged, and forwards a call only when the map lets it pass or once its approval has been
// claimed and the grant verified against exactly the arguments about to be forwarded. Long human
// waits are answered with a "pending approval" result; the same call repeated (same tool, same
// arguments) finds the same request through a derived Idempotency-Key (call-ledger.ts) and, once
// approved, claims, forwards once and returns the downstream's result.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type ListToolsResult,
} from "@modelcontextprotocol/sdk/types.js";
import { outcome, type Countersign } from "../client.js";
import { CountersignError, OutcomeError, WaitTimeoutError } from "../errors.js";
import type { ApprovedParameters, RequestView } from "../types.js";
import { callFingerprint, CallLedger } from "./call-ledger.js";
import { routeTool, type ToolMap } from "./tool-map.js";

export type GatewayOptions = {
  countersign: Countersign;
  /** The downstream MCP server, connected. */
  downstream: Client;
  /** The --server name: default actions are mcp.<server>.<tool>. */
  server: string;
  map: ToolMap;
  /** --environment: the environment of held tools the map gives none. */
  environment?: string;
  /** --wait: seconds a held call waits for the decision before answering "pending" (default 0). */
  waitSeconds?: number;
  ledger?: CallLedger;
  /** Diagnostics (stderr; stdout belongs to the MCP protocol). */
  log?: (line: string) => void;
};

/** How long a forwarded call may run: it was approved and claimed, so wait for its result. */
const FORWARD_TIMEOUT_MS = 10 * 60_000;

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: "text", text: t }], ...(isError ? { isError: true } : {}) });

export class McpGateway {
  private readonly ledger: CallLedger;
  private readonly log: (line: string) => void;
  /** Tools whose results a strict client validates against an output schema (see pendingResult). */
  private readonly structured = new Set<string>();

  constructor(private readonly opts: GatewayOptions) {
    this.ledger = opts.ledger ?? new CallLedger();
    this.log = opts.log ?? (() => undefined);
  }

  /** The downstream's tools/list, page by page, as it answered. */
  async listTools(params?: { cursor?: string }): Promise<ListToolsResult> {
    const result = await this.opts.downstream.listTools(params);
    for (const tool of result.tools) if (tool.outputSchema) this.structured.add(tool.name);
    return result;
  }

  /** One tools/call from the agent. */
  async callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const route = routeTool(this.opts.map, name, { server: this.opts.server, ...(this.opts.environment ? { environment: this.opts.environment } : {}) });
    if (route.kind === "pass") return this.forward(name, args);
    const params: ApprovedParameters = {
      action: route.action,
      resource: route.resource,
      environment: route.environment,
      context: { tool: name, arguments: args },
    };
    const fingerprint = callFingerprint({ server: this.opts.server, tool: name, arguments: args });
    try {
      return await this.ledger.exclusive(fingerprint, () => this.held(name, args, params, route.intent, fingerprint, signal));
    } catch (err) {
      // Countersign unreachable or refusing the filing: the agent gets a tool error, the call does not run.
      if (err instanceof CountersignError) return text(`Not run: Countersign could not hold this call for approval: ${err.message}`, true);
      throw err;
    }
  }

  /** A low-level MCP server (one per stdio connection or HTTP request) answering from this gateway. */
  createServer(): Server {
    const downstream = this.opts.downstream;
    const server = new Server(
      { name: `countersign-gateway-${this.opts.server}`, version: downstream.getServerVersion()?.version ?? "0.0.0" },
      {
        capabilities: { tools: {} },
        instructions: [
          downstream.getInstructions(),
          "Some tools are held for a human approval (Countersign). A result saying the call is pending approval is not a failure: " +
            "call the same tool again later with exactly the same arguments to get the outcome. Changed arguments file a new request.",
        ]
          .filter(Boolean)
          .join("\n\n"),
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, (request) => this.listTools(request.params?.cursor ? { cursor: request.params.cursor } : undefined));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.callTool(request.params.name, request.params.arguments ?? {}, extra.signal),
    );
    return server;
  }

  private async held(
    name: string,
    args: Record<string, unknown>,
    params: ApprovedParameters,
    intent: string,
    fingerprint: string,
    signal: AbortSignal | undefined,
  ): Promise<CallToolResult> {
    const cs = this.opts.countersign;
    let view: RequestView | undefined;
    // A replay of a request this process already forwarded (or that ran elsewhere) is spent: file anew.
    for (let attempt = 0; attempt < 3; attempt++) {
      view = await cs.requestApproval(
        { ...params, intent, origin: { tool: `${this.opts.server}/${name}`.slice(0, 200) } },
        { idempotencyKey: await this.ledger.keyFor(fingerprint), ...(signal ? { signal } : {}) },
      );
      if (view.status !== "executed" && !this.ledger.wasForwarded(view.id)) break;
      this.ledger.settle(fingerprint);
      view = undefined;
    }
    if (!view) return text("Countersign: could not file a fresh request for this call; not run.", true);

    try {
      if (view.status === "pending" && (this.opts.waitSeconds ?? 0) > 0) {
        view = await cs.waitForDecision(view.id, { timeout: this.opts.waitSeconds! * 1000, ...(signal ? { signal } : {}) });
      }
      if (view.status === "pending") return this.pendingResult(name, view);
      outcome(view);
    } catch (err) {
      if (err instanceof WaitTimeoutError) return this.pendingResult(name, view);
      if (err instanceof OutcomeError) {
        this.ledger.settle(fingerprint);
        return text(`Not run: ${err.message} Request ${err.requestId}: ${cs.consoleUrl(err.requestId)}`, true);
      }
      throw err;
    }

    // Approved. The agent gave up on this call: leave the approval unclaimed for its repeat.
    if (signal?.aborted) throw signal.reason;
    try {
      await cs.claimVerified(view.id, params);
    } catch (err) {
      this.ledger.settle(fingerprint);
      return text(`Not run: the approval of request ${view.id} could not be claimed and verified: ${(err as Error).message}`, true);
    }
    this.ledger.markForwarded(view.id);
    this.ledger.settle(fingerprint);

    const started = Date.now();
    const result = await this.forward(name, args);
    const detail = { tool: name, is_error: result.isError === true, duration_ms: Date.now() - started };
    const firstText = result.content.find((c) => c.type === "text")?.text;
    await cs
      .report(view.id, { status: result.isError ? "failed" : "succeeded", detail: result.isError && firstText ? { ...detail, error: firstText.slice(0, 2000) } : detail })
      .catch((err: Error) => this.log(`countersign mcp gateway: could not report the result of ${view.id}: ${err.message}`));
    return result;
  }

  /** Sends the call downstream exactly as the agent made it; a protocol failure becomes a tool error. */
  private async forward(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    try {
      return (await this.opts.downstream.request(
        { method: "tools/call", params: { name, arguments: args } },
        CallToolResultSchema,
        { timeout: FORWARD_TIMEOUT_MS },
      )) as CallToolResult;
    } catch (err) {
      return text(`The MCP server "${this.opts.server}" failed the call: ${(err as Error).message}`, true);
    }
  }

  /**
   * "Held for approval" as the agent sees it: not an error (nothing failed; call again later).
   * A tool with an output schema gets it as an error result instead, because clients reject a
   * successful result of such a tool that lacks its structured content.
   */
  private pendingResult(name: string, view: RequestView): CallToolResult {
    const url = this.opts.countersign.consoleUrl(view.id);
    return text(
      [
        `Pending approval: this call to "${name}" is held until a person approves it in Countersign. It has not run.`,
        `Request: ${view.id} (${view.action} on ${view.resource}, ${view.environment}; ${view.approvals.count} of ${view.approvals.required} approvals).`,
        `Console: ${url}`,
        `Call "${name}" again with exactly the same arguments to get the outcome: it runs once approved. Other arguments file a new request.`,
      ].join("\n"),
      this.structured.has(name),
    );
  }
}
