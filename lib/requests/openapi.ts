// OpenAPI 3.1 for the agent API, generated from the same zod schemas the routes validate with.
import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { cancelBody, createRequestBody, errorBody, LIMITS, reportResultBody, requestView } from "./schema";

const idParam = z.object({ id: z.uuid().meta({ description: "Request id" }) });
const jsonContent = <S extends z.ZodType>(schema: S) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...jsonContent(errorBody) });

const common: ZodOpenApiResponsesObject = {
  "401": error("Missing, unknown or revoked agent key (`unauthorized`, `agent_revoked`)"),
  "429": {
    ...error("Rate limited (`rate_limited`); see Retry-After"),
    headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait" } },
  },
};
const owned: ZodOpenApiResponsesObject = {
  ...common,
  "403": error("The request belongs to another agent (`forbidden`)"),
  "404": error("No such request (`not_found`)"),
};
const bodyErrors: ZodOpenApiResponsesObject = {
  "400": error("Malformed JSON (`invalid_json`) or invalid fields (`invalid_request`, with issues)"),
  "413": error(`Body over ${LIMITS.bodyBytes / 1024} KiB or context over ${LIMITS.contextBytes / 1024} KiB (\`payload_too_large\`)`),
  "415": error("Body is not application/json (`unsupported_media_type`)"),
};

const op = (o: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({ security: [{ agentKey: [] }], ...o });

export function buildOpenApiDocument() {
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "Countersign agent API",
      version: "1.0.0",
      description:
        "File just-in-time requests for privileged actions, wait for a human decision, and claim the approval exactly once.",
    },
    components: {
      securitySchemes: { agentKey: { type: "http", scheme: "bearer", description: "Agent key (cs_…), shown once at creation" } },
    },
    paths: {
      "/api/v1/requests": {
        post: op({
          operationId: "createRequest",
          summary: "File a request",
          requestParams: {
            header: z.object({
              "idempotency-key": z
                .string()
                .max(200)
                .optional()
                .meta({ description: "Same key and body returns the same request (200); same key, other body: 409 idempotency_conflict" }),
            }),
          },
          requestBody: jsonContent(createRequestBody),
          responses: {
            "201": { description: "Created (status pending, approved by an auto-approve rule, or denied by a deny rule)", ...jsonContent(requestView) },
            "200": { description: "Replay of an earlier request with the same Idempotency-Key", ...jsonContent(requestView) },
            ...bodyErrors,
            "409": error("Idempotency-Key reused with another body (`idempotency_conflict`)"),
            ...common,
          },
        }),
      },
      "/api/v1/requests/{id}": {
        get: op({
          operationId: "getRequest",
          summary: "Current state; ?wait=N long-polls up to N seconds for a state change",
          requestParams: {
            path: idParam,
            query: z.object({ wait: z.number().int().min(0).max(LIMITS.waitSeconds).optional() }),
          },
          responses: { "200": { description: "The request", ...jsonContent(requestView) }, "400": error("Invalid wait"), ...owned },
        }),
      },
      "/api/v1/requests/{id}/events": {
        get: op({
          operationId: "streamRequestEvents",
          summary: "Server-Sent Events: `event: state` with the request on connect and on every change; ends at a terminal state",
          requestParams: { path: idParam },
          responses: {
            "200": { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
            ...owned,
          },
        }),
      },
      "/api/v1/requests/{id}/execute": {
        post: op({
          operationId: "executeRequest",
          summary: "Claim the approval: 200 exactly once while approved and inside the grant window",
          requestParams: { path: idParam },
          responses: {
            "200": { description: "Claimed; status is now executed", ...jsonContent(requestView) },
            "409": error("`not_approved`, `already_executed`, `denied` or `cancelled`"),
            "410": error("`expired`: decision deadline or grant window passed"),
            ...owned,
          },
        }),
      },
      "/api/v1/requests/{id}/result": {
        post: op({
          operationId: "reportResult",
          summary: "Report the executed action's outcome",
          requestParams: { path: idParam },
          requestBody: jsonContent(reportResultBody),
          responses: {
            "200": { description: "Recorded", ...jsonContent(requestView) },
            ...bodyErrors,
            "409": error("`not_executed` or `result_already_reported`"),
            ...owned,
          },
        }),
      },
      "/api/v1/requests/{id}/cancel": {
        post: op({
          operationId: "cancelRequest",
          summary: "Withdraw a pending request",
          requestParams: { path: idParam },
          requestBody: { required: false, ...jsonContent(cancelBody) },
          responses: {
            "200": { description: "Cancelled", ...jsonContent(requestView) },
            ...bodyErrors,
            "409": error("`not_pending`"),
            "410": error("`expired`"),
            ...owned,
          },
        }),
      },
    },
  });
}
