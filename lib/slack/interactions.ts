// Slack interactivity: the core behind POST /api/integrations/slack/interactions. The signature
// and timestamp are checked before the body is parsed; the Slack (team, user) must be linked to a
// person (lib/slack/linking.ts) — an unlinked user gets a private one-time link and no vote; every
// decision goes through decideRequest with that person's groups confirmed at decision time. The
// message itself is updated by the outbox row that decision writes.
import { z } from "zod";
import { resolveAuthority, type Credential } from "@/lib/auth/authority";
import { CountersignError, isCountersignError } from "@/lib/errors";
import { log } from "@/lib/log";
import { consoleRequestUrl } from "@/lib/notify/links";
import { getActivePolicy } from "@/lib/policy/load";
import { ballotOf, voteRefusal } from "@/lib/requests/eligibility";
import { decideRequest } from "@/lib/requests/lifecycle";
import { getRequestView } from "@/lib/requests/read";
import { getDb } from "@/db/client";
import { recordSlackSignature } from "@/db/queries/slack";
import { slackClient, slackConfig, type SlackConfig } from "./client";
import { slackLinkUrl } from "./linking";
import {
  APPROVE_ACTION_ID,
  DENY_ACTION_ID,
  DENY_MODAL_CALLBACK_ID,
  DENY_REASON_ACTION_ID,
  DENY_REASON_BLOCK_ID,
  denyReasonModal,
} from "./messages";
import { verifySlackSignature } from "./signature";

export type SlackInteractionInput = {
  rawBody: string;
  timestamp: string | null;
  signature: string | null;
  now?: Date;
};

/** What to answer Slack: 200 with no body (acknowledged), or 200 with a JSON body (modal errors). */
export type SlackInteractionReply = { body?: Record<string, unknown> };

const ACK: SlackInteractionReply = {};

const slackUser = z.object({ id: z.string().min(1), team_id: z.string().min(1).optional() });
const slackTeam = z.object({ id: z.string().min(1) }).nullish();

const blockActions = z.object({
  type: z.literal("block_actions"),
  user: slackUser,
  team: slackTeam,
  trigger_id: z.string().optional(),
  response_url: z.url().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

const viewSubmission = z.object({
  type: z.literal("view_submission"),
  user: slackUser,
  team: slackTeam,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }),
  }),
});

const requestId = z.uuid();

// ── signature and replay ──────────────────────────────────────────────────────────────────────

/**
 * Signatures seen in the last window, shared by every instance through the database: an identical
 * request re-sent inside the five-minute window is refused too (outside it, the timestamp check
 * refuses it), whichever instance it reaches. The vote itself is also protected by the
 * one-vote-per-reviewer rule.
 */
const SEEN_TTL_MS = 10 * 60_000;

async function authenticate(config: SlackConfig, input: SlackInteractionInput, now: Date): Promise<void> {
  const check = verifySlackSignature({ signingSecret: config.signingSecret, timestamp: input.timestamp, signature: input.signature, rawBody: input.rawBody, now });
  if (!check.ok) {
    log.warn({ reason: check.reason }, "refused a Slack request");
    throw new CountersignError("unauthorized", `Slack request refused: ${check.reason.replace(/_/g, " ")}.`);
  }
  if (!(await recordSlackSignature(await getDb(), input.signature!, now, new Date(now.getTime() - SEEN_TTL_MS)))) {
    log.warn({ reason: "replayed" }, "refused a Slack request");
    throw new CountersignError("unauthorized", "Slack request refused: replayed.");
  }
}

function parsePayload(rawBody: string): unknown {
  const raw = new URLSearchParams(rawBody).get("payload");
  if (!raw) throw new CountersignError("invalid_request", "Expected a form-encoded `payload`.");
  try {
    return JSON.parse(raw);
  } catch {
    throw new CountersignError("invalid_json", "The Slack payload is not valid JSON.");
  }
}

// ── who is clicking ───────────────────────────────────────────────────────────────────────────

type Clicker = { user: z.infer<typeof slackUser>; team?: z.infer<typeof slackTeam> };

/** The person behind the click, as a credential decideRequest resolves; or null without a team. */
function credentialOf(clicker: Clicker): Credential | null {
  const teamId = clicker.user.team_id ?? clicker.team?.id;
  return teamId ? { kind: "slack", teamId, userId: clicker.user.id } : null;
}

/** What an unlinked Slack user is told, privately: where to link their account (no vote recorded). */
async function linkInvitation(credential: Extract<Credential, { kind: "slack" }>): Promise<string> {
  const url = await slackLinkUrl({ teamId: credential.teamId, userId: credential.userId });
  return `No decision recorded: your Slack account is not linked to Countersign yet. Open <${url}|this one-time link> signed in to Countersign to link it (it expires in 15 minutes), then click again.`;
}

// ── replies ───────────────────────────────────────────────────────────────────────────────────

/** A message only the clicking user sees, posted to the interaction's response_url. */
async function tellUser(responseUrl: string | undefined, text: string): Promise<void> {
  if (!responseUrl) return;
  try {
    const res = await fetch(responseUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", replace_original: false, text }),
      signal: AbortSignal.timeout(5_000),
    });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) log.warn({ status: res.status }, "Slack response_url refused an ephemeral reply");
  } catch (err) {
    log.warn({ err }, "could not post an ephemeral reply to Slack");
  }
}

const refusalText = (err: unknown, requestId?: string) => {
  if (isCountersignError(err)) {
    if (err.code === "step_up_required" && requestId) return `No decision recorded: this request needs a fresh sign-in to approve. <${consoleRequestUrl(requestId)}|Approve in Countersign>.`;
    return `No decision recorded: ${err.message}`;
  }
  log.error({ err }, "Slack decision failed");
  return "No decision recorded: Countersign hit an internal error; it has been logged.";
};

/** A refusal of an unlinked account becomes the invitation to link it. */
async function refusalFor(err: unknown, credential: Credential, requestId?: string): Promise<string> {
  if (isCountersignError(err) && err.code === "not_linked" && credential.kind === "slack") return linkInvitation(credential);
  return refusalText(err, requestId);
}

// ── the handlers ─────────────────────────────────────────────────────────────────────────────

async function onBlockActions(config: SlackConfig, payload: z.infer<typeof blockActions>): Promise<SlackInteractionReply> {
  const action = payload.actions.find((a) => a.action_id === APPROVE_ACTION_ID || a.action_id === DENY_ACTION_ID);
  if (!action) return ACK; // not ours (or a link button): nothing to do
  const id = requestId.safeParse(action.value);
  if (!id.success) return ACK;
  const credential = credentialOf(payload);
  if (!credential) {
    await tellUser(payload.response_url, "No decision recorded: Slack did not say which workspace this click came from.");
    return ACK;
  }

  if (action.action_id === APPROVE_ACTION_ID) {
    try {
      await decideRequest(id.data, credential, "approve", undefined, "slack");
    } catch (err) {
      await tellUser(payload.response_url, await refusalFor(err, credential, id.data));
    }
    return ACK;
  }

  // Deny: say now if this person cannot deny (decideRequest re-checks on submit), else ask why.
  const view = await getRequestView(id.data);
  if (!view) {
    await tellUser(payload.response_url, "No decision recorded: this request no longer exists.");
    return ACK;
  }
  try {
    const authority = await resolveAuthority(credential);
    const blocked = voteRefusal(await getActivePolicy(), authority, ballotOf(view), "deny");
    if (blocked) {
      await tellUser(payload.response_url, `No decision recorded: ${blocked.message}`);
      return ACK;
    }
  } catch (err) {
    await tellUser(payload.response_url, await refusalFor(err, credential, id.data));
    return ACK;
  }
  if (!payload.trigger_id) return ACK;
  try {
    await slackClient(config).views.open({ trigger_id: payload.trigger_id, view: denyReasonModal(view) });
  } catch (err) {
    log.warn({ err }, "views.open failed");
    await tellUser(payload.response_url, "Countersign could not open the deny dialog; deny in the console instead.");
  }
  return ACK;
}

async function onViewSubmission(payload: z.infer<typeof viewSubmission>): Promise<SlackInteractionReply> {
  if (payload.view.callback_id !== DENY_MODAL_CALLBACK_ID) return ACK;
  const id = requestId.safeParse(payload.view.private_metadata);
  // Errors are shown on the reason field and keep the modal open.
  const fieldError = (message: string): SlackInteractionReply => ({
    body: { response_action: "errors", errors: { [DENY_REASON_BLOCK_ID]: message.slice(0, 300) } },
  });
  if (!id.success) return fieldError("This dialog does not belong to a Countersign request.");
  const note = payload.view.state.values[DENY_REASON_BLOCK_ID]?.[DENY_REASON_ACTION_ID]?.value ?? "";
  const credential = credentialOf(payload);
  if (!credential) return fieldError("Slack did not say which workspace this came from.");
  try {
    await decideRequest(id.data, credential, "deny", note, "slack");
  } catch (err) {
    return fieldError((await refusalFor(err, credential, id.data)).replace(/<([^|>]+)\|[^>]+>/g, "$1"));
  }
  return ACK; // an empty 200 closes the modal
}

/** Authenticates, parses and handles one Slack interaction. Throws CountersignError on refusal. */
export async function handleSlackInteraction(input: SlackInteractionInput): Promise<SlackInteractionReply> {
  const config = slackConfig();
  if (!config) throw new CountersignError("unavailable", "Slack is not configured on this Countersign.");
  const now = input.now ?? new Date();
  await authenticate(config, input, now);

  const payload = parsePayload(input.rawBody);
  const actions = blockActions.safeParse(payload);
  if (actions.success) return onBlockActions(config, actions.data);
  const submission = viewSubmission.safeParse(payload);
  if (submission.success) return onViewSubmission(submission.data);
  return ACK; // other interaction types (view_closed, shortcuts) are acknowledged and ignored
}
