// The world the agent-side specs (SDK, command gate, MCP) run in: a fresh PostgreSQL database,
// real `npm start` servers on it, a registered agent with its key, and reviewers who decide from
// this process through the domain module (the same code the console, Slack and the API call).
import fs from "node:fs";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { recordIdentity } from "@/lib/auth/people";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { decideRequest } from "@/lib/requests/lifecycle";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import {
  createAgentWithCli,
  createTestDatabase,
  killServer,
  serverEnv,
  START_ARGS,
  startProcess,
  startServers,
  stopServer,
  TEST_POLICY,
  waitForHealth,
  type AppServer,
  type RegisteredAgent,
  type TestDatabase,
} from "./servers";

/** Reviewers as their provider vouches for them: Rita and Sam are on call, Sec is security (iam.* needs two of security). */
const PEOPLE = {
  rita: { subject: "rita", name: "Rita Reviewer", groups: ["platform-oncall"] },
  sam: { subject: "sam", name: "Sam Second", groups: ["platform-oncall", "security-team"] },
  sec: { subject: "sec", name: "Sec Urity", groups: ["security-team"] },
} as const;
export type ReviewerName = keyof typeof PEOPLE;

export type AgentSide = {
  database: TestDatabase;
  servers: AppServer[];
  /** servers[0].url */
  url: string;
  agent: RegisteredAgent;
  /** Environment for a process acting as the agent: COUNTERSIGN_URL and COUNTERSIGN_KEY. */
  agentEnv: Record<string, string>;
  approve(id: string, opts?: { as?: ReviewerName; note?: string }): Promise<void>;
  deny(id: string, note: string, opts?: { as?: ReviewerName }): Promise<void>;
  /**
   * Stops server `index` (kill -9, or SIGTERM with `graceful`), waits `downMs`, and starts it again
   * on the same port and database; resolves once it is healthy.
   */
  restart(index?: number, opts?: { graceful?: boolean; downMs?: number }): Promise<AppServer>;
  /** Another agent key, for specs that need a second agent. */
  newAgent(name?: string): Promise<RegisteredAgent>;
  close(): Promise<void>;
};

export async function startAgentSide(opts: { prefix: string; servers?: number; env?: Record<string, string | undefined> }): Promise<AgentSide> {
  const database = await createTestDatabase({ prefix: opts.prefix });
  const servers = await startServers(opts.servers ?? 1, { databaseUrl: database.url, ...(opts.env ? { env: opts.env } : {}) });
  const agent = await createAgentWithCli(database.url, { owner: "agent-owner@example.com" });
  setDatabaseForProcess(await openDatabase({ databaseUrl: database.url, poolSize: 2 }));
  setActivePolicyForTests(parsePolicy(fs.readFileSync(TEST_POLICY, "utf8"), TEST_POLICY));
  wireRequestEffects();
  const ids = new Map<ReviewerName, string>();
  for (const [key, p] of Object.entries(PEOPLE) as [ReviewerName, (typeof PEOPLE)[ReviewerName]][]) {
    const email = `${p.subject}@example.com`;
    const { personId } = await recordIdentity({
      issuer: "urn:countersign:e2e-idp",
      subject: p.subject,
      idp: "okta",
      login: email,
      email,
      emailVerified: true,
      name: p.name,
      groups: [...p.groups],
      authTime: new Date(),
    });
    ids.set(key, personId);
  }
  const reviewer = (as: ReviewerName = "rita") => ({ kind: "person" as const, personId: ids.get(as)! });
  const url = servers[0]!.url;
  return {
    database,
    servers,
    url,
    agent,
    agentEnv: { COUNTERSIGN_URL: url, COUNTERSIGN_KEY: agent.key },
    async approve(id, o = {}) {
      await decideRequest(id, reviewer(o.as), "approve", o.note ?? "Looks right.", "console");
    },
    async deny(id, note, o = {}) {
      await decideRequest(id, reviewer(o.as), "deny", note, "console");
    },
    async restart(index = 0, o = {}) {
      const old = servers[index]!;
      if (o.graceful) await stopServer(old, { expectCleanExit: false });
      else await killServer(old);
      if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
      const env = serverEnv(database.url, old.port, { HOSTNAME: "127.0.0.1", ...opts.env });
      const next = startProcess(`${old.name}'`, old.port, START_ARGS, env);
      servers[index] = next;
      await waitForHealth(next);
      return next;
    },
    newAgent: (name) => createAgentWithCli(database.url, { owner: "agent-owner@example.com", ...(name ? { name } : {}) }),
    async close() {
      await sealPendingAuditEvents().catch(() => undefined);
      await closeDatabase().catch(() => undefined);
      for (const s of servers) await stopServer(s, { expectCleanExit: false }).catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}
