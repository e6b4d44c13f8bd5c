// Admin CLI: `npm run countersign -- <command>`. Every command takes --json for scripts.
// On the embedded database it refuses to run while the console holds the data directory.
import fs from "node:fs";
import os from "node:os";
import { Command, CommanderError } from "commander";
import { closeDatabase, getDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import type { AuditActor } from "@/db/schema";
import { createAgent, listAgents, resolveAgent, revokeAgent, rotateAgentKey } from "@/lib/agents/registry";
import { sealPendingAuditEvents, settleSealer } from "@/lib/audit/sealer";
import { verifyAuditEvidence } from "@/lib/audit/verify";
import { parallelVerifier } from "@/lib/audit/verify-parallel";
import { evidenceReport } from "@/lib/audit/verify-report";
import { describeVerification, readJwks, verifyExportFile } from "@/lib/evidence/export-verify";
import { EnvError, webhookMasterSecret } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { agentWebhookSecret } from "@/lib/notify/webhook-signature";
import { loadPolicyFile, PolicyError } from "@/lib/policy/load";
import { resetEmbeddedDatabase } from "@/lib/demo/reset";
import { seedDemoData } from "@/lib/demo/seed";
import { wireRequestEffects } from "@/lib/runtime/wiring";

const cliActor = (): { actor: AuditActor; channel: "cli" } => ({
  actor: { kind: "user", id: `cli:${os.userInfo().username}@${os.hostname()}`, display: `CLI (${os.userInfo().username})` },
  channel: "cli",
});

let asJson = false;
const out = (human: string, data: unknown) => console.log(asJson ? JSON.stringify(data, null, 2) : human);

async function openMigrated() {
  const handle = await getDatabase();
  await migrateDatabase(handle);
  return handle;
}

const program = new Command()
  .name("countersign")
  .description("Countersign admin CLI")
  .option("--json", "machine-readable output")
  .hook("preAction", (cmd) => {
    asJson = Boolean(cmd.opts().json);
  })
  .exitOverride();

const agents = program.command("agents").description("register, list and revoke agents");

agents
  .command("create")
  .description("register an agent and print its key (shown once)")
  .requiredOption("--name <name>", "unique agent name, e.g. deploy-bot")
  .requiredOption("--owner <email>", "the human accountable for the agent (can never approve its requests)")
  .option("--description <text>", "what the agent does")
  .action(async (o: { name: string; owner: string; description?: string }) => {
    await openMigrated();
    const { agent, key } = await createAgent(o, cliActor());
    out(
      `Agent ${agent.name} (${agent.id}) registered, owner ${agent.owner}.\n\nKey (shown once, store it now):\n  ${key}\n`,
      { id: agent.id, name: agent.name, owner: agent.owner, key },
    );
  });

agents
  .command("list")
  .description("list agents")
  .action(async () => {
    await openMigrated();
    const rows = await listAgents("operator");
    const data = rows.map((a) => ({
      id: a.id,
      name: a.name,
      owner: a.owner,
      status: a.revokedAt ? "revoked" : "active",
      created_at: a.createdAt.toISOString(),
      last_used_at: a.lastUsedAt?.toISOString() ?? null,
    }));
    const human =
      data.length === 0
        ? "No agents yet. Register one with: npm run countersign -- agents create --name <name> --owner <email>"
        : data
            .map((a) => `${a.name.padEnd(24)} ${a.status.padEnd(8)} ${a.owner.padEnd(28)} last used ${a.last_used_at ?? "never"}`)
            .join("\n");
    out(human, data);
  });

agents
  .command("revoke <agent>")
  .description("revoke an agent (name or id); its keys stop working at once")
  .action(async (idOrName: string) => {
    await openMigrated();
    const agent = await revokeAgent(idOrName, cliActor());
    out(`Agent ${agent.name} revoked.`, { id: agent.id, name: agent.name, revoked_at: agent.revokedAt?.toISOString() });
  });

agents
  .command("rotate-key <agent>")
  .description("issue a new key (name or id) and revoke the old ones")
  .action(async (idOrName: string) => {
    await openMigrated();
    const { agent, key } = await rotateAgentKey(idOrName, cliActor());
    out(`New key for ${agent.name} (shown once):\n  ${key}\n`, { id: agent.id, name: agent.name, key });
  });

agents
  .command("webhook-secret <agent>")
  .description("print the secret that signs this agent's webhooks (name or id), for its receiver to verify them")
  .action(async (idOrName: string) => {
    await openMigrated();
    const agent = await resolveAgent(idOrName);
    // Derived from COUNTERSIGN_WEBHOOK_SECRET and the agent id: nothing stored, same on every instance.
    const secret = agentWebhookSecret(webhookMasterSecret(), agent.id);
    out(
      `Webhook signing secret for ${agent.name} (${agent.id}):\n  ${secret}\n\nVerify the countersign-signature header with it (see README, "Webhooks").`,
      { id: agent.id, name: agent.name, webhook_secret: secret },
    );
  });

program
  .command("policy")
  .description("policy file tools")
  .command("check <file>")
  .description("validate a policy file; exits 1 with one line per problem")
  .action(async (file: string) => {
    const policy = await loadPolicyFile(file);
    out(`${file}: OK — ${policy.rules.length} rules, hash ${policy.hash}`, {
      ok: true,
      file,
      hash: policy.hash,
      rules: policy.rules.map((r) => r.name),
    });
  });

const db = program.command("db").description("database maintenance");
db.command("migrate")
  .description("apply pending migrations")
  .action(async () => {
    const handle = await openMigrated();
    out(`Migrations applied (${handle.kind}).`, { ok: true, database: handle.kind });
  });
db.command("seed")
  .description("load demo agents, requests in every state and their audit history (skips if present)")
  .option("--reset", "first drop the embedded database (not PostgreSQL), so the demo starts afresh with fresh deadlines")
  .action(async (o: { reset?: boolean }) => {
    if (o.reset) {
      const { dataDir } = await resetEmbeddedDatabase();
      if (!asJson) console.log(`Dropped the embedded database at ${dataDir}.`);
    }
    await openMigrated();
    const result = await seedDemoData();
    await sealPendingAuditEvents();
    out(result.skipped ? "Demo data already present; nothing to do." : `Seeded ${result.requests} demo requests.`, result);
  });

/** `audit verify --file`: an export checked against a JWKS alone, never opening the database. */
async function verifyExportOffline(file: string, jwks: string | undefined) {
  if (!jwks) throw new CountersignError("invalid_request", "--file needs --jwks <file>: the JWKS (/.well-known/jwks.json) whose keys sign exports.");
  if (!fs.existsSync(file)) throw new CountersignError("not_found", `--file: ${file} does not exist.`);
  let keys: ReturnType<typeof readJwks>;
  try {
    keys = readJwks(jwks);
  } catch (err) {
    throw new CountersignError("invalid_request", `--jwks: cannot read a JWKS from ${jwks} (${err instanceof Error ? err.message : String(err)}).`);
  }
  const result = await verifyExportFile(file, keys);
  out(describeVerification(file, result), result);
  if (!result.ok) process.exitCode = 1;
}

program
  .command("audit")
  .description("audit log tools")
  .command("verify")
  .description(
    "check the hash chain, each event's MAC, the signed checkpoints (database and sink) and every request's row, naming the first failure; with --file, verify an export offline",
  )
  .option("--file <export>", "an exported .csv or .ndjson file to verify offline, with no database")
  .option("--jwks <file>", "with --file: the JWKS whose keys may sign the export's trailer")
  .action(async (o: { file?: string; jwks?: string }) => {
    if (o.file) return verifyExportOffline(o.file, o.jwks);
    const handle = await openMigrated();
    await sealPendingAuditEvents();
    // On PostgreSQL the chain is checked on every core (worker threads with their own connections).
    const parallel = handle.kind === "postgres" && handle.url ? parallelVerifier({ databaseUrl: handle.url }) : undefined;
    const result = await verifyAuditEvidence({
      parallel,
      onProgress: (n, total) => {
        if (!asJson) process.stderr.write(`\rverified ${n.toLocaleString()} / ${total.toLocaleString()} events`);
      },
    });
    if (!asJson) process.stderr.write("\n");
    out(evidenceReport(result), result);
    if (!result.ok) process.exitCode = 1;
  });

async function main() {
  wireRequestEffects();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else if (err instanceof PolicyError || err instanceof CountersignError || err instanceof EnvError || (err instanceof Error && err.name === "DataDirLockedError")) {
      const code =
        err instanceof CountersignError ? err.code : err instanceof PolicyError ? "invalid_policy" : err instanceof EnvError ? "invalid_configuration" : "database_in_use";
      if (asJson) console.log(JSON.stringify({ error: { code, message: err.message } }, null, 2));
      else console.error(err.message);
      process.exitCode = 1;
    } else if (err instanceof Error && err.name === "ZodError") {
      const issues = (err as unknown as { issues: { path: PropertyKey[]; message: string }[] }).issues;
      const lines = issues.map((i) => `  --${String(i.path.join("."))}: ${i.message}`);
      if (asJson) console.log(JSON.stringify({ error: { code: "invalid_request", issues } }, null, 2));
      else console.error(`Invalid input:\n${lines.join("\n")}`);
      process.exitCode = 1;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  } finally {
    // Let the post-commit seal finish first, so nothing reopens the database after it closes.
    await settleSealer().catch(() => undefined);
    await closeDatabase().catch(() => undefined);
  }
}

await main();
