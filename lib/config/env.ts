// Process configuration: the one schema over the environment, validated once. A bad value stops
// start-up with one line per problem. Modules take their settings from env() (or, to read another
// environment, parseEnv); lib/auth/config.ts derives the sign-in settings from the AUTH_* ones.
import ms from "ms";
import { z } from "zod";

/** An empty variable (`AUTH_OKTA_ID=`) is unset, and the schema's own message names a bad value. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** A duration written as `ms` reads it (`30m`, `12h`, `90s`), in milliseconds, within bounds. */
const duration = (fallback: string, min: string, max: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const value = ms(v as ms.StringValue);
      if (typeof value !== "number" || !Number.isFinite(value) || value < ms(min as ms.StringValue) || value > ms(max as ms.StringValue)) {
        ctx.addIssue({ code: "custom", message: `must be a duration between ${min} and ${max}, such as ${fallback}` });
        return z.NEVER;
      }
      return value;
    });

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /**
   * `npm run demo` sets 1: the production build with the development sign-in and development secrets,
   * on the embedded database. lib/auth/config.ts refuses it beside a real identity provider or DATABASE_URL.
   */
  COUNTERSIGN_DEMO: z
    .enum(["0", "1"], { message: "must be 1 (the demo) or 0" })
    .optional()
    .transform((v) => v === "1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  COUNTERSIGN_DATA_DIR: z.string().min(1).default("./.data/pglite"),
  COUNTERSIGN_POLICY: z.string().min(1).default("./policy.yaml"),
  COUNTERSIGN_DB_POOL: z.coerce.number().int().min(1).max(200).default(10),
  COUNTERSIGN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Open event streams one agent may hold on one instance (one more answers 429). */
  COUNTERSIGN_AGENT_MAX_STREAMS: z.coerce.number().int().min(1).default(10),
  /** Long-polls (`?wait=N`) one agent may hold open at once on one instance. */
  COUNTERSIGN_AGENT_MAX_LONG_POLLS: z.coerce.number().int().min(1).default(20),
  /** Audit exports running at once across every instance on the database (and on the embedded one). */
  COUNTERSIGN_EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(2),
  COUNTERSIGN_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  COUNTERSIGN_PUBLIC_URL: z.string().url().optional(),
  /** Master secret from which each agent's webhook signing secret is derived. Required in production. */
  COUNTERSIGN_WEBHOOK_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** Whether agents' callback URLs may point at private, loopback or link-local addresses. Default: only outside production. */
  COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true")),
  /**
   * Whether workload_identities may name an http:// issuer on a loopback address (a local stand-in
   * issuer in tests and development). Refused in production; every other issuer must be https.
   */
  COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .optional()
    .transform((v) => v === "true"),
  /** Lifetime of the agent tokens /api/v1/token issues (at most 15 minutes; never past the presented token's expiry). */
  COUNTERSIGN_AGENT_TOKEN_TTL: duration("10m", "1m", "15m"),
  COUNTERSIGN_OUTBOX_INTERVAL_MS: z.coerce.number().int().min(50).default(500),
  COUNTERSIGN_OUTBOX_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /** Slack app (optional; Slack features are off unless the bot token and signing secret are set). */
  SLACK_BOT_TOKEN: z.string().regex(/^xox[a-z]-/, "must be a Slack bot token (xoxb-…)").optional().or(z.literal("").transform(() => undefined)),
  SLACK_SIGNING_SECRET: z.string().min(1).optional().or(z.literal("").transform(() => undefined)),
  /** Slack Web API base URL; only tests point it elsewhere. */
  SLACK_API_URL: z.string().url().default("https://slack.com/api/"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The address `npm start` listens on. */
  HOSTNAME: z.string().min(1).default("0.0.0.0"),
  /** Signs session cookies. Required in production (lib/auth/config.ts refuses to start without it). */
  AUTH_SECRET: unsetWhenEmpty(z.string().min(32, "must be at least 32 characters (openssl rand -base64 33)")),
  /** Okta sign-in: all three, or none. */
  AUTH_OKTA_ID: unsetWhenEmpty(z.string().min(1)),
  AUTH_OKTA_SECRET: unsetWhenEmpty(z.string().min(1)),
  AUTH_OKTA_ISSUER: unsetWhenEmpty(z.url()),
  /** GitHub sign-in: both, or neither. */
  AUTH_GITHUB_ID: unsetWhenEmpty(z.string().min(1)),
  AUTH_GITHUB_SECRET: unsetWhenEmpty(z.string().min(1)),
  /** GitHub Enterprise Server base URL (or a local stub in tests); default github.com. */
  AUTH_GITHUB_ENTERPRISE_URL: unsetWhenEmpty(z.url()),
  /** GitHub orgs whose members may sign in, and whose teams count (comma-separated). Required in production with GitHub. */
  AUTH_GITHUB_ORGS: unsetWhenEmpty(z.string()),
  /** Whether to trust the Host / X-Forwarded-Host header for sign-in URLs (behind a proxy that sets them). */
  AUTH_TRUST_HOST: z
    .enum(["true", "false"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true")),
  /** A decision needs the person's groups confirmed (by the provider or SCIM) at most this long ago. */
  COUNTERSIGN_GROUPS_MAX_AGE: duration("10m", "10s", "24h"),
  /** A console session unused this long ends. */
  COUNTERSIGN_SESSION_IDLE_TIMEOUT: duration("30m", "1m", "24h"),
  /** A console session ends this long after sign-in, used or not. */
  COUNTERSIGN_SESSION_MAX_LIFETIME: duration("12h", "5m", "30d"),
  /** The server's Ed25519 signing key (PKCS#8 PEM or private JWK). Required in production with PostgreSQL. */
  COUNTERSIGN_SIGNING_KEY: unsetWhenEmpty(z.string().min(1)),
  /** Key id for a PEM signing key (default: its RFC 7638 thumbprint). */
  COUNTERSIGN_SIGNING_KEY_ID: unsetWhenEmpty(z.string().min(1).max(200)),
  /** Retired public keys still published in the JWKS (a JWKS JSON text, or the path of a file holding one). */
  COUNTERSIGN_VERIFY_KEYS: unsetWhenEmpty(z.string().min(1)),
  /** The audit MAC secret, `kid:secret` or a bare secret (base64 or hex, 32+ bytes). Required with the signing key. */
  COUNTERSIGN_AUDIT_MAC_KEY: unsetWhenEmpty(z.string().min(1)),
  /** Retired audit MAC keys, comma-separated `kid:secret`, to verify events written before a rotation. */
  COUNTERSIGN_AUDIT_MAC_KEYS_PREVIOUS: unsetWhenEmpty(z.string().min(1)),
  /** Where generated keys live (embedded database, development); default: `keys` beside COUNTERSIGN_DATA_DIR. */
  COUNTERSIGN_KEYS_DIR: unsetWhenEmpty(z.string().min(1)),
  /** Directory of the append-only checkpoint log outside the database (`checkpoints.jsonl`). */
  COUNTERSIGN_CHECKPOINT_DIR: unsetWhenEmpty(z.string().min(1)),
  /** Optional HTTPS endpoint that also receives every signed checkpoint. */
  COUNTERSIGN_CHECKPOINT_URL: unsetWhenEmpty(z.url()),
  /** The owner role's URL, for migrations (default DATABASE_URL); the server runs as DATABASE_URL's role. */
  DATABASE_MIGRATION_URL: unsetWhenEmpty(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")),
  /** Bearer token Okta presents to /scim/v2 (SCIM provisioning is off without it). */
  COUNTERSIGN_SCIM_TOKEN: unsetWhenEmpty(z.string().min(32, "must be at least 32 characters (openssl rand -base64 33)")),
  /** Bearer token a Prometheus scraper presents to GET /metrics (the endpoint answers 404 without it). */
  COUNTERSIGN_METRICS_TOKEN: unsetWhenEmpty(z.string().min(32, "must be at least 32 characters (openssl rand -base64 33)")),
  /** GET /api/health/ready answers 503 once the oldest unsealed audit event is older than this many seconds. */
  COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** OpenTelemetry's own variables: traces are exported (OTLP/HTTP, JSON) only when an endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: unsetWhenEmpty(z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unsetWhenEmpty(z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })),
  OTEL_SERVICE_NAME: unsetWhenEmpty(z.string().min(1)).transform((v) => v ?? "countersign"),
  OTEL_SDK_DISABLED: z
    .enum(["true", "false", ""], { message: "must be true or false" })
    .optional()
    .transform((v) => v === "true"),

  // ── Workload identity: AWS IAM (lib/auth/aws-identity.ts) ──────────────────────────────────
  /** What agents sign into X-Countersign-Server-ID so their request is useless elsewhere; default: COUNTERSIGN_PUBLIC_URL's host. */
  COUNTERSIGN_SERVER_ID: unsetWhenEmpty(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, "must be 1-200 letters, digits and . _ : / - (such as countersign.acme.com)"),
  ),
  /** The AWS region whose STS endpoint verifies agents' signatures (default us-east-1); agents sign for this region. */
  COUNTERSIGN_AWS_REGION: unsetWhenEmpty(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as eu-west-1")),
  /** The STS endpoint instead of https://sts.<region>.amazonaws.com/ (a VPC endpoint; tests: a local stand-in). */
  // Agents' signed requests travel to it: plain http only to a loopback stand-in (tests, development).
  COUNTERSIGN_AWS_STS_ENDPOINT: unsetWhenEmpty(
    z
      .url({ protocol: /^https?$/, error: "must be the http(s):// URL of an STS endpoint" })
      .refine((u) => u.startsWith("https://") || ["127.0.0.1", "localhost", "[::1]"].includes(new URL(u).hostname), {
        error: "must be https:// (http:// only on 127.0.0.1, localhost or [::1]): agents' signed requests travel to it",
      }),
  ),
});

export type Env = z.infer<typeof schema>;

export class EnvError extends Error {}

/** Validates an environment (process.env, or one a test makes up). Throws EnvError naming every bad variable. */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid Countersign configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

let cached: Env | undefined;

/** This process's configuration, parsed on first use. */
export function env(): Env {
  return (cached ??= parseEnv(process.env));
}

/** Tests change env between files; let them re-read it. */
export function resetEnvCache(): void {
  cached = undefined;
}

const DEVELOPMENT_WEBHOOK_SECRET = "countersign-development-webhook-secret-not-for-production";

/**
 * The master secret webhooks are signed with. Required in production (not in the demo), where it is checked at server
 * start-up (and here, for the CLI's `agents webhook-secret`); commands that sign nothing, such as
 * `audit verify`, run without it.
 */
export function webhookMasterSecret(): string {
  const config = env();
  if (config.COUNTERSIGN_WEBHOOK_SECRET) return config.COUNTERSIGN_WEBHOOK_SECRET;
  if (config.NODE_ENV === "production" && !config.COUNTERSIGN_DEMO) {
    throw new EnvError(
      "Invalid Countersign configuration:\n  COUNTERSIGN_WEBHOOK_SECRET: required in production (openssl rand -base64 33); it signs outbound webhooks",
    );
  }
  return DEVELOPMENT_WEBHOOK_SECRET;
}
