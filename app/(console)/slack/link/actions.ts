"use server";

// Linking a Slack account from its one-time link: only on the person's explicit confirmation (a
// POST), never on opening the page.
import { z } from "zod";
import { linkSlackAccount, slackLinkCode } from "@/lib/slack/linking";
import { consoleAction } from "../../_lib/console-action";

export const linkSlackAccountAction = consoleAction("read", z.object({ code: slackLinkCode }), async (input, viewer) => {
  // No revalidatePath: that would re-render this page (its code now used) over the confirmation.
  // The account page is rendered per request and reads the link afresh.
  return linkSlackAccount(viewer, input.code);
});
