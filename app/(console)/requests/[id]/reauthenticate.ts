"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn } from "@/lib/auth/auth";
import { identityById } from "@/lib/auth/people";
import { getViewer } from "@/lib/auth/session";

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
