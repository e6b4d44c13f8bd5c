"use server";

// Console doors to break-glass: approve alone with a reason, and the retrospective review. The
// wrapper checks session and role; lib/requests/break-glass.ts checks everything else, as for
// every other door.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { breakGlassRequest, reviewBreakGlass } from "@/lib/requests/break-glass";
import { LIMITS } from "@/lib/requests/schema";
import { consoleAction } from "./console-action";

const breakGlassForm = z.object({
  requestId: z.uuid(),
  reason: z.string().max(LIMITS.noteChars).optional(),
});

export const breakGlassAction = consoleAction("decide", breakGlassForm, async (input, viewer) => {
  const view = await breakGlassRequest(input.requestId, { kind: "session", sessionId: viewer.sessionId }, input.reason, "console");
  revalidatePath(`/requests/${input.requestId}`);
  return { status: view.status };
});

const retrospectiveForm = z.object({
  requestId: z.uuid(),
  verdict: z.enum(["acknowledged", "flagged"]),
  note: z.string().max(LIMITS.noteChars).optional(),
});

export const retrospectiveAction = consoleAction("decide", retrospectiveForm, async (input, viewer) => {
  const view = await reviewBreakGlass(input.requestId, { kind: "session", sessionId: viewer.sessionId }, input.verdict, input.note, "console");
  revalidatePath(`/requests/${input.requestId}`);
  revalidatePath("/");
  return { state: view.break_glass?.review.state ?? null };
});
