"use server";

// Console decisions. The wrapper checks session and role; decideRequest checks everything else
// (scope, self-approval, duplicate vote, deadline) exactly as for Slack and the API.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { decideRequest } from "@/lib/requests/lifecycle";
import { LIMITS } from "@/lib/requests/schema";
import { REVIEW_DECISIONS } from "@/lib/vocabulary";
import { consoleAction } from "../../_lib/console-action";

const decisionForm = z.object({
  requestId: z.uuid(),
  decision: z.enum(REVIEW_DECISIONS),
  note: z.string().max(LIMITS.noteChars).optional(),
});

export const decideAction = consoleAction("decide", decisionForm, async (input, viewer) => {
  const view = await decideRequest(input.requestId, { kind: "session", sessionId: viewer.sessionId }, input.decision, input.note, "console");
  revalidatePath(`/requests/${input.requestId}`);
  return { status: view.status, approvals: view.approvals };
});

