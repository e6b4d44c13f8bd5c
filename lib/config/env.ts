// Process configuration, validated once. A bad value stops start-up with one line per problem.
import { z } from "zod";

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  COUNTERSIGN_DATA_DIR: z.string().min(1).default("./.data/pglite"),
  COUNTERSIGN_POLICY: z.string().min(1).default("./policy.yaml"),
  COUNTERSIGN_DB_POOL: z.coerce.number().int().min(1).max(200).default(10),
  COUNTERSIGN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  COUNTERSIGN_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  COUNTERSIGN_PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

export type Env = z.infer<typeof schema>;

export class EnvError extends Error {}

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid Countersign configuration:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  return cached;
}

/** Tests change env between files; let them re-read it. */
export function resetEnvCache(): void {
  cached = undefined;
}
