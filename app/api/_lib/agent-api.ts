// The agent API (/api/v1/*): one table of operations, each an OpenAPI route definition next to its
// handler; the reviewer API (/api/v1/reviews…, a reviewer's personal token) is in the same table.
// Next.js serves it through app/api/v1/[[...path]]/route.ts, `npm start` (server.ts) through the
// same `agentApi.fetch` on node:http, and GET /api/openapi.json is generated from the
// same definitions: an operation added here answers in both servers and is documented.
//
// Validation stays in the handlers, in the order the API promises (key first, then the id, then
// the body through readJson's 413/415/400 rules), so operations are registered with
// `registerPath` + `on` rather than `OpenAPIHono#openapi`, whose validators would run before
// authentication and read bodies without limits. The request schemas in the definitions are the
// ones the handlers validate with.
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { env } from "@/lib/config/env";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { staticSecurityHeaders } from "@/lib/http/security-headers";
import { redeemGrant } from "@/lib/evidence/redemption";
import { authenticateReviewerToken } from "@/lib/auth/reviewer-tokens";
import { cancelRequest, claimApproval, createRequest, reportResult } from "@/lib/requests/lifecycle";
import { breakGlassRequest } from "@/lib/requests/break-glass";
import { decideReview, listReviews, showReview } from "@/lib/requests/reviews";
import {
  cancelBody,
  createRequestBody,
  decisionBody,
  breakGlassBody,
  errorBody,
  executedRequest,
  grantRedemption,
  LIMITS,
  redeemGrantBody,
  reportResultBody,
  requestView,
  reviewList,
  reviewView,
  waitQuery,
} from "@/lib/requests/schema";
import { waitForStatusChange } from "@/lib/requests/wait";
import { openWaitSlot } from "@/lib/agents/open-waits";
import { exchangeToken, parseTokenExchangeForm, tokenErrorBody } from "@/lib/auth/token-exchange";
import { consumeAgentRateLimit } from "@/lib/agents/rate-limit";
import { isDatabaseUnavailable } from "@/db/errors";
import { traceAgentCall } from "@/lib/observability/agent-call-span";
import { tracingEnabled } from "@/lib/observability/tracing";
import { answer, authenticate, authenticateWorkload, parseGrantId, parseRequestId, readJson, readRawBody, toResponse, withBody } from "./http";
import { requestEventStream } from "./request-event-stream";

// ── the pieces the definitions share ──────────────────────────────────────────────────────────

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const jsonContent = <S extends z.ZodType>(schema: S) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...jsonContent(errorBody) });

const idParam = z.object({ id: z.uuid().meta({ description: "Request id" }) });
const grantIdParam = z.object({ id: z.uuid().meta({ description: "Grant id: the grant's jti claim" }) });
// The handler validates `wait` with waitQuery, which coerces the query string: documented as the
// integer it coerces to (a coercing schema would be documented as nullable, since it accepts null).
const waitParam = z.object({ wait: z.int().min(0).max(LIMITS.waitSeconds).optional() });

const common = {
  401: error(
    "Missing, unknown or revoked agent key (`unauthorized`, `agent_revoked`); a workload token or agent token that fails a check (`invalid_token`, the issue's path names the check)",
  ),
  429: {
    ...error("Rate limited (`rate_limited`); see Retry-After"),
    headers: { "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait" } },
  },
};
/** Long-polls and streams: also refused past the agent's cap of open ones (COUNTERSIGN_AGENT_MAX_*). */
const capped = (what: string) => ({
  429: { ...common[429], ...error(`Rate limited, or the agent already holds its limit of open ${what} (\`rate_limited\`); see Retry-After`) },
});
const owned = {
  ...common,
  403: error("The request belongs to another agent (`forbidden`)"),
  404: error("No such request (`not_found`)"),
};
const bodyErrors = {
  400: error("Malformed JSON (`invalid_json`) or invalid fields (`invalid_request`, with issues)"),
  413: error(`Body over ${LIMITS.bodyBytes / 1024} KiB or context over ${LIMITS.contextBytes / 1024} KiB (\`payload_too_large\`)`),
  415: error("Body is not application/json (`unsupported_media_type`)"),
};

// ── the table ─────────────────────────────────────────────────────────────────────────────────

const api = new OpenAPIHono({ strict: false });
// The agent API's direct path under `npm start` skips next.config.ts: the same headers, set here.
const securityHeaders = Object.entries(staticSecurityHeaders(env().NODE_ENV === "production"));
api.use("*", async (c, next) => {
  await next();
  for (const [name, value] of securityHeaders) c.res.headers.set(name, value);
});
api.openAPIRegistry.registerComponent("securitySchemes", "agentKey", {
  type: "http",
  scheme: "bearer",
  description: "Agent key (cs_…), shown once at creation",
});

api.openAPIRegistry.registerComponent("securitySchemes", "reviewerToken", {
  type: "http",
  scheme: "bearer",
  description: "A reviewer's personal token (csr_…), created on the console's Account page and shown once; scope `read` for GETs, `decide` to vote",
});

/** Method and path pattern of every operation: what a route miss is told it may use instead. */
const operations: { method: string; pattern: RegExp; id: string; path: string }[] = [];

/** One operation: documented, routed and listed in one step, so none can be one without the others. */
function operation(config: RouteConfig, handler: (c: Context) => Promise<Response>): void {
  const route = createRoute({ security: [{ agentKey: [] }], ...config });
  const method = route.method.toUpperCase();
  api.openAPIRegistry.registerPath(route);
  api.on(method, route.getRoutingPath(), handler);
  operations.push({ method, pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, "[^/]+")}/?$`), id: config.operationId ?? route.path, path: route.path });
}

operation(
  {
    operationId: "createRequest",
    method: "post",
    path: "/api/v1/requests",
    summary: "File a request",
    request: {
      headers: z.object({
        "idempotency-key": z
          .string()
          .regex(IDEMPOTENCY_KEY)
          .optional()
          .meta({ description: "Same key and body returns the same request (200); same key, other body: 409 idempotency_conflict" }),
      }),
      body: jsonContent(createRequestBody),
    },
    responses: {
      201: { description: "Created (status pending, approved by an auto-approve rule, or denied by a deny rule)", ...jsonContent(requestView) },
      200: { description: "Replay of an earlier request with the same Idempotency-Key", ...jsonContent(requestView) },
      ...bodyErrors,
      409: error("Idempotency-Key reused with another body (`idempotency_conflict`)"),
      ...common,
    },
  },
  async (c) => {
    const req = c.req.raw;
    const { agent, workload } = await authenticateWorkload(req);
    const key = req.headers.get("idempotency-key") ?? undefined;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new CountersignError("invalid_request", "Idempotency-Key must be 1–200 printable ASCII characters.", {
        issues: [{ path: "Idempotency-Key", message: "1–200 printable ASCII characters" }],
      });
    }
    const body = await readJson(req, createRequestBody);
    const { request, replayed } = await createRequest(agent, body, { idempotencyKey: key, workload });
    return answer(request, replayed ? 200 : 201, {
      location: `/api/v1/requests/${request.id}`,
      ...(replayed ? { "idempotent-replayed": "true" } : {}),
    });
  },
);

operation(
  {
    operationId: "getRequest",
    method: "get",
    path: "/api/v1/requests/{id}",
    summary: "Current state; ?wait=N long-polls up to N seconds for a state change",
    request: { params: idParam, query: waitParam },
    responses: {
      200: { description: "The request", ...jsonContent(requestView) },
      400: error("Invalid wait"),
      ...owned,
      ...capped("long-polls"),
    },
  },
  async (c) => {
    const req = c.req.raw;
    const agent = await authenticate(req);
    const id = parseRequestId(c.req.param("id"));
    const query = waitQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
    if (!query.success) {
      throw new CountersignError("invalid_request", "Invalid query.", { issues: issuesFromZod(query.error.issues) });
    }
    const wait = query.data.wait ?? 0;
    if (wait === 0) return answer(await waitForStatusChange(agent, id, 0));
    const slot = openWaitSlot(agent, "poll", req.headers.get("authorization"));
    try {
      const view = await waitForStatusChange(agent, id, wait, AbortSignal.any([req.signal, slot.signal]));
      if (slot.signal.aborted) throw slot.signal.reason; // revoked while waiting: the 401 the next call would get
      return answer(view);
    } finally {
      slot.release();
    }
  },
);

operation(
  {
    operationId: "streamRequestEvents",
    method: "get",
    path: "/api/v1/requests/{id}/events",
    summary:
      "Server-Sent Events: `event: state` with the request on connect and on every change; ends at a terminal state, or with `event: error` (the 401 envelope) when the agent or its key is revoked",
    request: { params: idParam },
    responses: {
      200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
      ...owned,
      ...capped("event streams"),
    },
  },
  async (c) => {
    const agent = await authenticate(c.req.raw);
    return requestEventStream(c.req.raw, agent, parseRequestId(c.req.param("id")));
  },
);

operation(
  {
    operationId: "executeRequest",
    method: "post",
    path: "/api/v1/requests/{id}/execute",
    summary: "Claim the approval: 200 exactly once while approved and inside the grant window",
    request: { params: idParam },
    responses: {
      200: { description: "Claimed; status is now executed. Carries the signed grant (returned only here)", ...jsonContent(executedRequest) },
      409: error("`not_approved`, `already_executed`, `denied` or `cancelled`"),
      410: error("`expired`: decision deadline or grant window passed"),
      ...owned,
    },
  },
  async (c) => {
    const agent = await authenticate(c.req.raw);
    return answer(await claimApproval(agent, parseRequestId(c.req.param("id"))));
  },
);

operation(
  {
    operationId: "reportResult",
    method: "post",
    path: "/api/v1/requests/{id}/result",
    summary: "Report the executed action's outcome",
    request: { params: idParam, body: jsonContent(reportResultBody) },
    responses: {
      200: { description: "Recorded", ...jsonContent(requestView) },
      ...bodyErrors,
      409: error("`not_executed` or `result_already_reported`"),
      ...owned,
    },
  },
  async (c) => {
    const agent = await authenticate(c.req.raw);
    const id = parseRequestId(c.req.param("id"));
    return answer(await reportResult(agent, id, await readJson(c.req.raw, reportResultBody)));
  },
);

operation(
  {
    operationId: "cancelRequest",
    method: "post",
    path: "/api/v1/requests/{id}/cancel",
    summary: "Withdraw a pending request",
    request: { params: idParam, body: { required: false, ...jsonContent(cancelBody) } },
    responses: {
      200: { description: "Cancelled", ...jsonContent(requestView) },
      ...bodyErrors,
      409: error("`not_pending`"),
      410: error("`expired`"),
      ...owned,
    },
  },
  async (c) => {
    const agent = await authenticate(c.req.raw);
    const id = parseRequestId(c.req.param("id"));
    const body = await readJson(c.req.raw, cancelBody, { optional: true });
    return answer(await cancelRequest(agent, id, body.reason));
  },
);

operation(
  {
    operationId: "redeemGrant",
    method: "post",
    path: "/api/v1/grants/{id}/redeem",
    summary: "A target system redeems a grant once (first wins); the grant itself is the credential, no agent key",
    security: [],
    request: { params: grantIdParam, body: jsonContent(redeemGrantBody) },
    responses: {
      200: { description: "Redeemed by this call; the verified claims", ...jsonContent(grantRedemption) },
      400: error(
        "Malformed JSON or fields (`invalid_json`, `invalid_request`); a token that is not a grant or not yet valid (`invalid_grant`); another grant's token (`grant_mismatch`)",
      ),
      401: error("The grant's signature does not verify with /.well-known/jwks.json: forged, edited, another key's or not EdDSA (`invalid_grant_signature`)"),
      404: error("No such grant (`not_found`)"),
      409: error("Redeemed before (`already_redeemed`, saying when)"),
      410: error("The grant window has passed (`expired`)"),
      413: bodyErrors[413],
      415: bodyErrors[415],
    },
  },
  async (c) => {
    const id = parseGrantId(c.req.param("id"));
    const body = await readJson(c.req.raw, redeemGrantBody);
    return answer(await redeemGrant(id, body.grant, body.redeemer));
  },
);

// ── workload identity: RFC 8693 token exchange ───────────────────────────────────────────────

const tokenError = (description: string) => ({
  description,
  content: {
    "application/json": {
      schema: z.object({
        error: z.string().meta({ description: "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_token, temporarily_unavailable" }),
        error_description: z.string(),
        code: z.string().meta({ description: "Countersign's error code" }),
        check: z.string().optional().meta({ description: "The failed check: issuer, audience, signature, algorithm, expired, not_yet_valid, lifetime, no_matching_identity, agent, malformed" }),
      }),
    },
  },
});

operation(
  {
    operationId: "exchangeToken",
    method: "post",
    path: "/api/v1/token",
    summary:
      "RFC 8693 token exchange: a workload's OIDC token (an issuer the policy's workload_identities trusts) for a short-lived agent token (≤ 15 minutes) usable on every agent endpoint",
    security: [],
    request: {
      body: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              grant_type: z.literal("urn:ietf:params:oauth:grant-type:token-exchange"),
              subject_token: z.string(),
              subject_token_type: z.enum([
                "urn:ietf:params:oauth:token-type:jwt",
                "urn:ietf:params:oauth:token-type:id_token",
                "urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity",
              ]),
            }),
          },
        },
      },
    },
    responses: {
      200: {
        description: "The agent token",
        ...jsonContent(
          z.object({
            access_token: z.string(),
            issued_token_type: z.literal("urn:ietf:params:oauth:token-type:access_token"),
            token_type: z.literal("Bearer"),
            expires_in: z.int(),
          }),
        ),
      },
      400: tokenError("Malformed or missing parameters (`invalid_request`), another grant_type (`unsupported_grant_type`)"),
      401: tokenError("The subject token fails a check, or its agent is revoked (`invalid_token`, with `check`)"),
      413: tokenError("Body too large"),
      415: tokenError("Not application/x-www-form-urlencoded"),
      429: tokenError("Rate limited (the agent's own budget)"),
    },
  },
  async (c) => {
    try {
      const req = c.req.raw;
      const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/x-www-form-urlencoded") {
        throw new CountersignError("unsupported_media_type", "Send the token request as application/x-www-form-urlencoded (RFC 8693).");
      }
      const form = parseTokenExchangeForm(new URLSearchParams(await readRawBody(req, 32 * 1024)));
      const issued = await exchangeToken(form, consumeAgentRateLimit);
      return answer(issued, 200, { pragma: "no-cache" });
    } catch (err) {
      if (!(err instanceof CountersignError) || isDatabaseUnavailable(err)) return toResponse(err);
      const headers: Record<string, string> = { pragma: "no-cache" };
      if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.retryAfterSeconds);
      return answer(tokenErrorBody(err), err.status, headers);
    }
  },
);

// ── the reviewer API: a person decides from a terminal, through the console's rule ──────────

const reviewer = {
  401: error(
    "Missing, malformed, unknown, revoked or expired reviewer token (`unauthorized`); the person's groups could not be confirmed just now (`reauthentication_required`)",
  ),
  403: error("The token lacks the scope (`insufficient_scope`), or its person holds no Countersign role (`forbidden`)"),
};

operation(
  {
    operationId: "listReviews",
    method: "get",
    path: "/api/v1/reviews",
    summary: "Pending requests the token's person may vote on now (groups confirmed at this call), riskiest then newest first",
    security: [{ reviewerToken: [] }],
    responses: { 200: { description: "The requests, each with what the person may do with it", ...jsonContent(reviewList) }, ...reviewer },
  },
  async (c) => {
    const credential = await authenticateReviewerToken(c.req.header("authorization") ?? null, "read");
    return answer(await listReviews(credential));
  },
);

operation(
  {
    operationId: "getReview",
    method: "get",
    path: "/api/v1/reviews/{id}",
    summary: "A request as a reviewer sees it, with whether the token's person may approve or deny it now and why not",
    security: [{ reviewerToken: [] }],
    request: { params: idParam },
    responses: { 200: { description: "The request and the person's standing", ...jsonContent(reviewView) }, ...reviewer, 404: error("No such request (`not_found`)") },
  },
  async (c) => {
    const credential = await authenticateReviewerToken(c.req.header("authorization") ?? null, "read");
    return answer(await showReview(credential, parseRequestId(c.req.param("id"))));
  },
);

for (const vote of ["approve", "deny"] as const) {
  operation(
    {
      operationId: vote === "approve" ? "approveReview" : "denyReview",
      method: "post",
      path: `/api/v1/reviews/{id}/${vote}`,
      summary:
        vote === "approve"
          ? "Approve as the token's person (the console's eligibility rule, groups confirmed now); a step-up rule is refused: approve those in the console"
          : "Deny as the token's person, with a note (required); one eligible denial ends the request",
      security: [{ reviewerToken: [] }],
      request: { params: idParam, body: { required: vote === "deny", ...jsonContent(decisionBody) } },
      responses: {
        200: { description: "The vote is recorded (channel `api`); the request as it now stands", ...jsonContent(requestView) },
        ...bodyErrors,
        400: error(`Malformed JSON (\`invalid_json\`) or invalid fields (\`invalid_request\`${vote === "deny" ? ", e.g. no note" : ""})`),
        401: error(
          `${reviewer[401].description}${vote === "approve" ? "; the rule needs a sign-in within minutes, which a token cannot give (`step_up_required`)" : ""}`,
        ),
        403: error(
          "No `decide` scope (`insufficient_scope`); no reviewer role (`forbidden`); not in the request's approver groups (`not_eligible`); the person owns the agent or the request is on their behalf (`self_approval`)",
        ),
        404: error("No such request (`not_found`)"),
        409: error("Already decided (`already_decided`) or already voted by this person (`already_voted`)"),
        410: error("The decision deadline passed (`expired`)"),
      },
    },
    async (c) => {
      const credential = await authenticateReviewerToken(c.req.header("authorization") ?? null, "decide");
      const id = parseRequestId(c.req.param("id"));
      // No body at all is read as no note: a denial without one is then refused for its note.
      const body = await readJson(c.req.raw, decisionBody, { optional: true });
      return answer(await decideReview(credential, id, vote, body.note));
    },
  );
}

operation(
  {
    operationId: "breakGlassReview",
    method: "post",
    path: "/api/v1/reviews/{id}/break-glass",
    summary:
      "Approve alone as the token's person, with a reason, where the request's rule allows break-glass (its break_glass groups, groups confirmed now); flagged for ever, every approver group is notified, and a retrospective review is owed",
    security: [{ reviewerToken: [] }],
    request: { params: idParam, body: { required: true, ...jsonContent(breakGlassBody) } },
    responses: {
      200: { description: "Approved through break-glass (channel `api`); the request as it now stands", ...jsonContent(requestView) },
      ...bodyErrors,
      400: error("Malformed JSON (`invalid_json`) or invalid fields (`invalid_request`, e.g. a reason under 20 characters)"),
      401: reviewer[401],
      403: error(
        "No `decide` scope (`insufficient_scope`); no reviewer role (`forbidden`); the rule does not allow break-glass (`break_glass_not_allowed`); not in its break-glass groups (`not_eligible`); the person owns the agent or the request is on their behalf (`self_approval`)",
      ),
      404: error("No such request (`not_found`)"),
      409: error("Already decided (`already_decided`)"),
      410: error("The decision deadline passed (`expired`)"),
    },
  },
  async (c) => {
    const credential = await authenticateReviewerToken(c.req.header("authorization") ?? null, "decide");
    const id = parseRequestId(c.req.param("id"));
    const body = await readJson(c.req.raw, breakGlassBody);
    return answer(await breakGlassRequest(id, credential, body.reason, "api"));
  },
);

// ── misses, errors, and the one entry point ───────────────────────────────────────────────────

/** 405 with Allow when the path is an operation's under another method, else 404: always JSON. */
function routeMiss(req: Request): Response {
  const { pathname } = new URL(req.url);
  const allowed = operations.filter((o) => o.pattern.test(pathname)).map((o) => o.method);
  if (allowed.length === 0) return toResponse(new CountersignError("not_found", `No agent API route ${pathname}.`));
  const allow = allowed.join(", ");
  return answer(new CountersignError("method_not_allowed", `Use ${allow} for ${pathname}.`).toJSON(), 405, { allow });
}

api.notFound((c) => routeMiss(c.req.raw));
api.onError((err) => toResponse(err));

/** The operation a call's method and path match, for its span's name. */
function routedOperation(req: Request): { id: string; path: string } | undefined {
  const { pathname } = new URL(req.url);
  return operations.find((o) => o.method === req.method && o.pattern.test(pathname));
}

export const agentApi = {
  /**
   * Answers one request under /api/v1. HEAD is refused here rather than run as a GET without a
   * body (Hono's default), which would open a long-poll or an event stream nobody reads.
   */
  async fetch(req: Request): Promise<Response> {
    return withBody(await agentApi.answer(req));
  },
  /**
   * fetch() for server.ts: a JSON answer comes back without its body stream, its text beside it
   * (jsonTextOf), for the server to write to the socket as it is.
   */
  answer(req: Request): Response | Promise<Response> {
    if (req.method === "HEAD") return routeMiss(req);
    // Tracing off (the default) costs this one test; on, the call runs inside its span (which reads
    // a copy of the answer's body, so it gets one).
    if (tracingEnabled()) return traceAgentCall(req, routedOperation(req), async () => withBody(await api.fetch(req)));
    return api.fetch(req);
  },
  /** What the router holds, as method and OpenAPI path: for the test that the document matches it. */
  routes(): { method: string; path: string }[] {
    // Middleware (the security headers, method "ALL") is not an operation.
    return api.routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, path: r.path.replace(/:([^/]+)/g, "{$1}") }));
  },
};

type OpenApiDocument = ReturnType<typeof api.getOpenAPI31Document>;
let document: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the table above, built once. */
export function agentApiDocument(): OpenApiDocument {
  document ??= api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Countersign agent API",
      version: "1.0.0",
      description:
        "File just-in-time requests for privileged actions, wait for a human decision, and claim the approval exactly once; target systems redeem the signed grant once. Reviewers list and decide requests with a personal token (/api/v1/reviews…), under the same eligibility rule as the console.",
    },
  });
  return document;
}
