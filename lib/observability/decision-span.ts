// The span of a human decision (a vote, a denial, a break-glass approval), from whichever door it
// came through; its outcome is the request's status after the decision.
import type { RequestView } from "@/lib/requests/schema";
import { ATTR_COUNTERSIGN_REQUEST_ID } from "./agent-call-span";
import { traceOperation } from "./tracing";

export function traceDecision(
  what: { requestId: string; vote: "approve" | "deny" | "break_glass"; channel: string },
  decide: () => Promise<RequestView>,
): Promise<RequestView> {
  const attributes = { [ATTR_COUNTERSIGN_REQUEST_ID]: what.requestId, "countersign.decision.vote": what.vote, "countersign.decision.channel": what.channel };
  return traceOperation("countersign.decide", attributes, async (span) => {
    const view = await decide();
    span.setAttribute("countersign.request.status", view.status);
    span.setAttribute("gen_ai.tool.name", view.action);
    span.setAttribute("gen_ai.tool.call.id", view.id);
    return view;
  });
}
