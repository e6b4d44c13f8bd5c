// Outbound webhook signatures. Receivers verify
//   Countersign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// with their agent's webhook secret, reject timestamps more than 5 minutes off, and de-duplicate
// on the `Countersign-Event-Id` header (delivery is at least once).
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "countersign-signature";
export const EVENT_ID_HEADER = "countersign-event-id";
export const TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/** For receivers (and tests): true when the header matches the body and is fresh. */
export function verifyWebhook(secret: string, body: string, header: string | null, nowSeconds: number): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split("v1=")[1]!, "hex");
  const given = Buffer.from(m[2]!, "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Each agent's webhook secret, derived from the deployment's COUNTERSIGN_WEBHOOK_SECRET and the
 * agent id, so no per-agent secret is stored; `countersign agents webhook-secret` prints it.
 */
export function agentWebhookSecret(masterSecret: string, agentId: string): string {
  return `whsec_${createHmac("sha256", masterSecret).update(`agent-webhook:${agentId}`).digest("base64url")}`;
}
