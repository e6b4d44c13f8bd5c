// Slack request signing (v0): HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the app's signing
// secret, hex-encoded and prefixed `v0=`. The timestamp window is checked before any hashing, so
// an old (replayed) or far-future request costs nothing and is refused whatever its signature.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SLACK_SIGNATURE_HEADER = "x-slack-signature";
export const SLACK_TIMESTAMP_HEADER = "x-slack-request-timestamp";
/** Slack's documented window: requests more than five minutes off our clock are refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

export type SlackSignatureInput = {
  signingSecret: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  rawBody: string;
  now: Date;
};

export type SlackSignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing_headers" | "malformed_timestamp" | "stale_timestamp" | "malformed_signature" | "bad_signature" };

const SIGNATURE_RE = /^v0=[0-9a-f]{64}$/;

export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}

export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed_timestamp" };
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: "stale_timestamp" };
  if (!SIGNATURE_RE.test(signature)) return { ok: false, reason: "malformed_signature" };
  const expected = Buffer.from(signSlackRequest(input.signingSecret, timestamp, input.rawBody), "utf8");
  const given = Buffer.from(signature, "utf8");
  // Both are `v0=` + 64 hex characters here, so the lengths match and the compare is constant-time.
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "bad_signature" };
}
