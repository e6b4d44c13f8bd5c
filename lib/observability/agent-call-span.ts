// The span of one agent API call: named and attributed by the HTTP server conventions
// ("{method} {http.route}"), with the Countersign request it concerns (countersign.request.id) and,
// from the GenAI conventions, the tool-call attributes that describe that request: the action the
// agent asks to run is the tool (gen_ai.tool.name) and the request's id is the tool call's id
// (gen_ai.tool.call.id). It is not an `execute_tool` span — the agent's own span is; this is the
// approval gate inside it — so gen_ai.operation.name is left to the agent.
import type { Attributes, Span } from "@opentelemetry/api";
import { SpanStatusCode } from "@opentelemetry/api";
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from "@opentelemetry/semantic-conventions";
import { traceIncomingCall } from "./tracing";

/** The operation a call was routed to: its OpenAPI operationId and path template. */
export type RoutedOperation = { id: string; path: string };

export const ATTR_COUNTERSIGN_REQUEST_ID = "countersign.request.id";
export const ATTR_COUNTERSIGN_OPERATION = "countersign.operation";
// GenAI semantic conventions (development status; names as in semconv 1.45).
const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The request id a path names (/requests/{id}… or /reviews/{id}…), when it is one. */
function requestIdInPath(pathname: string): string | undefined {
  const m = /^\/api\/v1\/(?:requests|reviews)\/([^/]+)/.exec(pathname);
  return m && UUID.test(m[1]!) ? m[1]!.toLowerCase() : undefined;
}

async function annotate(span: Span, res: Response): Promise<void> {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.status);
  if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (res.status >= 300 || !res.headers.get("content-type")?.startsWith("application/json")) return;
  // Only when tracing: read a copy of the answer for what the request is about.
  const body = (await res.clone().json().catch(() => null)) as { id?: unknown; request_id?: unknown; action?: unknown; status?: unknown } | null;
  const id = typeof body?.request_id === "string" ? body.request_id : typeof body?.id === "string" && UUID.test(body.id) && typeof body.action === "string" ? body.id : undefined;
  if (id) {
    span.setAttribute(ATTR_COUNTERSIGN_REQUEST_ID, id);
    span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ID, id);
  }
  if (typeof body?.action === "string") span.setAttribute(ATTR_GEN_AI_TOOL_NAME, body.action);
  if (typeof body?.status === "string") span.setAttribute("countersign.request.status", body.status);
}

/** Answers the call inside its span. Call only when tracing is enabled. */
export function traceAgentCall(req: Request, operation: RoutedOperation | undefined, answer: () => Response | Promise<Response>): Promise<Response> {
  const { pathname } = new URL(req.url);
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: pathname };
  if (operation) {
    attributes[ATTR_HTTP_ROUTE] = operation.path;
    attributes[ATTR_COUNTERSIGN_OPERATION] = operation.id;
  }
  const requestId = requestIdInPath(pathname);
  if (requestId) {
    attributes[ATTR_COUNTERSIGN_REQUEST_ID] = requestId;
    attributes[ATTR_GEN_AI_TOOL_CALL_ID] = requestId;
  }
  const name = operation ? `${req.method} ${operation.path}` : req.method;
  return traceIncomingCall(req, name, attributes, async () => answer(), annotate);
}
