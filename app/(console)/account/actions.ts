"use server";

// The signed-in person's own account: unlinking one of their Slack accounts, and creating and
// revoking their personal reviewer tokens (each scoped to them in lib).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { createReviewerToken, revokeReviewerToken } from "@/lib/auth/reviewer-tokens";
import { slackAccount, unlinkSlackAccount } from "@/lib/slack/linking";
import { consoleAction } from "../_lib/console-action";

export const unlinkSlackAccountAction = consoleAction("read", slackAccount, async (input, viewer) => {
  await unlinkSlackAccount(viewer, input);
  revalidatePath("/account");
  return input;
});

// The form's checkboxes, one name each, become the token's scopes; lib validates the rest.
const tokenForm = z
  .strictObject({
    name: z.string().max(1000),
    scope_read: z.literal("on").optional(),
    scope_decide: z.literal("on").optional(),
    expiresInDays: z.string().max(10),
  })
  .transform((f) => ({
    name: f.name,
    scopes: [...(f.scope_read ? (["read"] as const) : []), ...(f.scope_decide ? (["decide"] as const) : [])],
    expiresInDays: f.expiresInDays,
  }));

export const createReviewerTokenAction = consoleAction("read", tokenForm, async (input, viewer) => {
  const { token, summary } = await createReviewerToken(viewer, input);
  revalidatePath("/account");
  return { token, name: summary.name, expiresAt: summary.expiresAt.toISOString() };
});

export const revokeReviewerTokenAction = consoleAction("read", z.object({ tokenId: z.uuid() }), async (input, viewer) => {
  const revoked = await revokeReviewerToken(viewer, input.tokenId);
  revalidatePath("/account");
  return { id: revoked.id, name: revoked.name };
});
