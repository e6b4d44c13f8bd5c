// Links from chat back to the console: chat channels that cannot call back (Teams) and the Slack
// message both point reviewers at the request page.
import { env } from "@/lib/config/env";

export function consoleBaseUrl(): string {
  const e = env();
  return (e.COUNTERSIGN_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
}

export function consoleRequestUrl(requestId: string, base = consoleBaseUrl()): string {
  return `${base}/requests/${encodeURIComponent(requestId)}`;
}
