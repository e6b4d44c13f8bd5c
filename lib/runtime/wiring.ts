// Connects the request core to what its changes set off, once per process: the channels' announcers
// (outbox rows in the change's transaction) and the post-commit hooks (seal the audit chain, kick the
// outbox worker). Every process that runs commands calls this first: the server at start-up, the
// CLI, the test set-up.
import { kickSealer } from "@/lib/audit/sealer";
import { webhookAnnouncer } from "@/lib/notify/outbox";
import { kickOutbox } from "@/lib/notify/worker";
import { registerAnnouncer, registerCommitHook } from "@/lib/requests/effects";
import { slackAnnouncer } from "@/lib/slack/announce";
import { teamsAnnouncer } from "@/lib/teams/announce";

export function wireRequestEffects(): void {
  registerAnnouncer("webhook", webhookAnnouncer);
  registerAnnouncer("slack", slackAnnouncer);
  registerAnnouncer("teams", teamsAnnouncer);
  registerCommitHook("seal-audit-chain", () => kickSealer());
  registerCommitHook("deliver-outbox", ({ outboxRows }) => {
    if (outboxRows > 0) kickOutbox();
  });
}
