"use server";

// Console decisions. The wrapper checks session and role; decideRequest checks everything else
// (scope, self-approval, duplicate vote, deadline) exactly as for Slack and the API.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn } from "@/lib/auth/auth";
import { identityById } from "@/lib/auth/people";
import { getViewer } from "@/lib/auth/session";
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

/**
 * Step-up: a fresh authentication at the provider, then back to the request. Okta is asked for it
 * explicitly (max_age=0, prompt=login) and its ID token's auth_time is what the rule checks. Not
 * through consoleAction: signIn answers with a redirect, which that wrapper would swallow.
 */
export async function reauthenticateAction(form: FormData): Promise<void> {
  const viewer = await getViewer();
  const requestId = z.uuid().safeParse(form.get("requestId"));
  const back = requestId.success ? `/requests/${requestId.data}` : "/";
  if (!viewer) redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  const identity = await identityById(viewer.identityId);
  if (viewer.idp === "dev" && identity) await signIn("dev", { persona: identity.subject, redirectTo: back });
  await signIn(viewer.idp, { redirectTo: back }, viewer.idp === "okta" ? { max_age: "0", prompt: "login" } : undefined);
}
