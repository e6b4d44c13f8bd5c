"use server";

// The signed-in person's own account: unlinking one of their Slack accounts (scoped to them in lib).
import { revalidatePath } from "next/cache";
import { slackAccount, unlinkSlackAccount } from "@/lib/slack/linking";
import { consoleAction } from "../_lib/console-action";

export const unlinkSlackAccountAction = consoleAction("read", slackAccount, async (input, viewer) => {
  await unlinkSlackAccount(viewer, input);
  revalidatePath("/account");
  return input;
});
