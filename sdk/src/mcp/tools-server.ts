// `countersign mcp tools`: Countersign's own agent API as MCP tools, for agents that gate
// themselves (file a request, wait, claim the grant, act, report) rather than sit behind the
// gateway. Each tool is one client call; results are JSON (text, and the same object as
// structured content). Waits are capped at 50 s so a call never outlives an MCP client's timeout.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Countersign } from "../client.js";
import { ApiError, CountersignError, DeniedError, OutcomeError, RefusedByPolicyError, WaitTimeoutError } from "../errors.js";
import { paramsHash } from "../params.js";
import type { RequestView } from "../types.js";

export const TOOLS_SERVER_NAME = "countersign";
export const MAX_WAIT_SECONDS = 50;

const json = (value: Record<string, unknown>, isError = false): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(value, null, 2) }],
  structuredContent: value,
  ...(isError ? { isError: true } : {}),
});

/** A request as a model needs it: where it stands, why, and where a person decides it. */
function summary(cs: Countersign, view: RequestView): Record<string, unknown> {
  return {
    id: view.id,
    status: view.status,
    action: view.action,
    resource: view.resource,
    environment: view.environment,
    console_url: cs.consoleUrl(view.id),
    approvals: view.approvals,
    policy: { decision: view.policy.decision, rule: view.policy.rule, explanation: view.policy.explanation },
    risk: view.risk.level,
    decision_deadline: view.decision_deadline,
    grant_expires_at: view.grant_expires_at,
    reviews: view.reviews.map((r) => ({ reviewer: r.name, decision: r.decision, note: r.note })),
    result: view.result,
  };
}

/** Errors as tool errors the model can act on: the server's code, message and per-field issues. */
async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) return json({ error: err.code, message: err.message, issues: err.issues }, true);
    if (err instanceof CountersignError) return json({ error: err.code, message: err.message }, true);
    throw err;
  }
}

const id = z.string().min(1).describe("The request id returned by request_approval.");

export function createToolsServer(cs: Countersign): McpServer {
  const server = new McpServer(
    { name: TOOLS_SERVER_NAME, version: "0.1.0" },
    {
      instructions:
        "Countersign holds privileged actions for a human approval. Before a risky action: request_approval with the exact " +
        "parameters, wait_for_decision until the outcome is known (repeat it while it says pending), claim_approval once " +
        "approved, run exactly what was approved, then report_result. Never run the action if the outcome is not approved.",
    },
  );

  server.registerTool(
    "request_approval",
    {
      title: "Request approval",
      description:
        "File a privileged action for human approval before doing it. Put the exact parameters you will use in `context` " +
        "(they are bound into the approval: running anything else is not approved). Returns the request id, its status " +
        "(`pending` needs a person; `approved` was auto-approved by policy; `denied` was refused by policy) and a console " +
        "link to show the user. Pass the same idempotency_key when retrying so you do not file twice.",
      inputSchema: {
        action: z.string().describe("Dotted lower-case action name the policy matches, e.g. db.migrate or iam.policy.update."),
        resource: z.string().describe("What the action acts on, e.g. postgres://orders-primary."),
        environment: z.string().describe("Lower-case environment name, e.g. production, staging."),
        intent: z.string().describe("Why, in one or two sentences a reviewer reads."),
        context: z.record(z.string(), z.unknown()).optional().describe("The exact parameters (SQL, arguments, a diff…)."),
        idempotency_key: z.string().max(200).optional().describe("Optional: reuse to make a retry return the same request."),
      },
    },
    ({ idempotency_key, ...request }) =>
      guarded(async () => json(summary(cs, await cs.requestApproval(request, idempotency_key ? { idempotencyKey: idempotency_key } : {})))),
  );

  server.registerTool(
    "get_request",
    {
      title: "Get request",
      description: "The current state of a request: status, approvals so far, reviewers' notes, deadlines, and the reported result.",
      inputSchema: { id },
    },
    ({ id }) => guarded(async () => json(summary(cs, await cs.getRequest(id)))),
  );

  server.registerTool(
    "wait_for_decision",
    {
      title: "Wait for decision",
      description:
        `Wait up to timeout_seconds (at most ${MAX_WAIT_SECONDS}) for a person to decide. Returns outcome ` +
        "`approved` (call claim_approval next), `denied` (with the reviewer's note; do not run the action), " +
        "`refused_by_policy`, `expired`, `cancelled`, or `pending` (still undecided: call wait_for_decision again).",
      inputSchema: {
        id,
        timeout_seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS).default(30).describe(`Seconds to wait, 1–${MAX_WAIT_SECONDS} (default 30).`),
      },
    },
    ({ id, timeout_seconds }) =>
      guarded(async () => {
        try {
          const view = await cs.waitForDecision(id, { timeout: timeout_seconds * 1000 });
          return json({ outcome: "approved", ...summary(cs, view) });
        } catch (err) {
          if (err instanceof WaitTimeoutError) return json({ outcome: "pending", ...summary(cs, await cs.getRequest(id)) });
          if (err instanceof OutcomeError) {
            const extra =
              err instanceof DeniedError ? { note: err.note, reviewer: err.reviewer } : err instanceof RefusedByPolicyError ? { rule: err.rule } : {};
            return json({ outcome: err.code, message: err.message, ...extra, ...summary(cs, err.request) });
          }
          throw err;
        }
      }),
  );

  server.registerTool(
    "claim_approval",
    {
      title: "Claim approval",
      description:
        "Claim an approved request, once, just before running it. Returns the signed grant (a JWS to hand to the target " +
        "system) and its verified claims. Pass `context` with the exact parameters you are about to run: if they differ " +
        "from what was approved, nothing is claimed and you must not run. Succeeds only once per request.",
      inputSchema: {
        id,
        context: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("The parameters about to run (default: the ones filed). Checked against the approval before claiming."),
      },
    },
    ({ id, context }) =>
      guarded(async () => {
        const view = await cs.getRequest(id);
        const params = { action: view.action, resource: view.resource, environment: view.environment, context: context ?? view.context };
        if ((await paramsHash(params)) !== view.params_hash) {
          return json({ error: "params_mismatch", message: "These parameters are not the ones approved; nothing was claimed. Do not run them." }, true);
        }
        const grant = await cs.claimVerified(id, params);
        return json({
          grant: grant.token,
          claims: grant.claims,
          expires_at: new Date(grant.claims.exp * 1000).toISOString(),
          next: "Run exactly the approved action now, then call report_result.",
        });
      }),
  );

  server.registerTool(
    "report_result",
    {
      title: "Report result",
      description: "Record how the approved action went (once, after running it): `succeeded` or `failed`, with a short detail object.",
      inputSchema: {
        id,
        status: z.enum(["succeeded", "failed"]),
        detail: z.record(z.string(), z.unknown()).optional().describe("What happened, e.g. { rows: 12 } or { error: \"…\" }."),
      },
    },
    ({ id, status, detail }) => guarded(async () => json(summary(cs, await cs.report(id, { status, ...(detail ? { detail } : {}) })))),
  );

  return server;
}
