// The only way the console defines a server action: the wrapper authenticates, checks the
// capability, validates the form with zod, and turns every failure into a typed result that the UI
// shows verbatim. Domain rules (self-approval, scope, duplicate vote, deadline) stay in lib/.
import type { z } from "zod";
import { getViewer } from "@/lib/auth/session";
import { assertCan, type Capability, type Viewer } from "@/lib/auth/viewer";
import { CountersignError, issuesFromZod, type ErrorIssue } from "@/lib/errors";
import { log } from "@/lib/log";

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; issues?: ErrorIssue[] } };

/**
 * The fields the form itself holds. React adds its own bookkeeping fields to a server action's form
 * data (`$ACTION_REF_…`, `$ACTION_KEY`, `$ACTION_…:n`); a strict schema would refuse them as unknown.
 */
export function formFields(form: FormData): Record<string, FormDataEntryValue> {
  return Object.fromEntries([...form.entries()].filter(([name]) => !name.startsWith("$ACTION_")));
}

export function consoleAction<S extends z.ZodType, T>(
  capability: Capability,
  schema: S,
  fn: (input: z.infer<S>, viewer: Viewer) => Promise<T>,
): (previous: unknown, form: FormData) => Promise<ActionResult<T>> {
  return async (_previous, form) => {
    try {
      const viewer = assertCan(await getViewer(), capability);
      const parsed = schema.safeParse(formFields(form));
      if (!parsed.success) {
        throw new CountersignError("invalid_request", "Please correct the highlighted fields.", {
          issues: issuesFromZod(parsed.error.issues),
        });
      }
      return { ok: true, data: await fn(parsed.data, viewer) };
    } catch (err) {
      if (err instanceof CountersignError) return { ok: false, error: err.toJSON().error };
      log.error({ err }, "server action failed");
      return { ok: false, error: { code: "internal", message: "Something went wrong; it has been logged." } };
    }
  };
}
