// The Slack Web API client and whether Slack is configured at all. Slack is optional: without a bot
// token and a signing secret nothing is posted and the interactivity endpoint answers 503.
import { LogLevel, WebClient, type Logger, type RetryOptions } from "@slack/web-api";
import { env } from "@/lib/config/env";
import { log } from "@/lib/log";

export type SlackConfig = { botToken: string; signingSecret: string; apiUrl: string };

export function slackConfig(): SlackConfig | null {
  const e = env();
  if (!e.SLACK_BOT_TOKEN || !e.SLACK_SIGNING_SECRET) return null;
  return { botToken: e.SLACK_BOT_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, apiUrl: e.SLACK_API_URL };
}

/**
 * WebClient honours 429 Retry-After by itself (it waits the advertised seconds, then retries).
 * Keep its own retries few and short: a call that still fails goes back to the durable outbox,
 * whose backoff takes over, rather than holding an outbox lease for Slack's default ~30 minutes.
 */
export const SLACK_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 250, maxTimeout: 4_000, randomize: true };
const SLACK_TIMEOUT_MS = 10_000;

/** WebClient's own messages (rate-limit waits, failed calls) as our structured logs. */
const slackLogger: Logger = {
  debug: () => {},
  info: (...msg: unknown[]) => log.info({ component: "slack-web-api" }, msg.map(String).join(" ")),
  warn: (...msg: unknown[]) => log.warn({ component: "slack-web-api" }, msg.map(String).join(" ")),
  error: (...msg: unknown[]) => log.error({ component: "slack-web-api" }, msg.map(String).join(" ")),
  setLevel: () => {},
  getLevel: () => LogLevel.INFO,
  setName: () => {},
};

const clients = new Map<string, WebClient>();

export function slackClient(config: SlackConfig): WebClient {
  const key = `${config.apiUrl} ${config.botToken}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(config.botToken, {
      slackApiUrl: config.apiUrl,
      retryConfig: SLACK_RETRY,
      timeout: SLACK_TIMEOUT_MS,
      logger: slackLogger,
      // Method names only: a crafted absolute URL never redirects the bot token elsewhere.
      allowAbsoluteUrls: false,
    });
    clients.set(key, client);
  }
  return client;
}
