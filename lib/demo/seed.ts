// Demo data for the quick start: realistic agents, requests in every state and their audit history,
// all made through the real lifecycle functions (so the audit chain is genuine).
import { findAgentByName } from "@/db/queries/agents";
import { getDb } from "@/db/client";
import type { Agent, AuditActor } from "@/db/schema";
import { createAgent } from "@/lib/agents/registry";
import {
  cancelRequest,
  claimApproval,
  createRequest,
  decideRequest,
  expireDueRequests,
  reportResult,
} from "@/lib/requests/lifecycle";
import { createRequestBody, type CreateRequestBody } from "@/lib/requests/schema";
import type { Credential } from "@/lib/auth/authority";
import { recordIdentity } from "@/lib/auth/people";
import { personaClaims, PERSONAS, type Persona } from "./personas";

const SEEDER: { actor: AuditActor; channel: "system" } = {
  actor: { kind: "system", id: "demo-seed", display: "Demo seed" },
  channel: "system",
};

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** The persona as a person Countersign knows (their identity confirmed at `at`), deciding in the story. */
async function as(persona: Persona, at: Date): Promise<Credential> {
  return { kind: "person", personId: (await recordIdentity(personaClaims(persona, at), at)).personId, authTime: at };
}

function body(input: Partial<CreateRequestBody> & Pick<CreateRequestBody, "action" | "resource" | "environment" | "intent">) {
  return createRequestBody.parse(input);
}

export async function seedDemoData(): Promise<{ skipped: boolean; agents: number; requests: number }> {
  const db = await getDb();
  if (await findAgentByName(db, "deploy-bot")) return { skipped: true, agents: 0, requests: 0 };

  const mk = async (name: string, owner: string, description: string): Promise<Agent> =>
    (await createAgent({ name, owner, description }, SEEDER)).agent;
  const deployBot = await mk("deploy-bot", PERSONAS.priya.email, "Ships services to production from the release pipeline.");
  const dataAgent = await mk("insights-agent", "marco@acme.test", "Answers analytics questions; sometimes needs customer exports.");
  const iamAgent = await mk("access-agent", "lena@acme.test", "Handles access requests for engineers.");
  const opsAgent = await mk("sre-copilot", PERSONAS.riley.email, "On-call assistant: scales, restarts and investigates.");

  let n = 0;
  const file = async (agent: Agent, b: CreateRequestBody, at: Date) => {
    n += 1;
    return (await createRequest(agent, b, { now: at })).request;
  };

  // pending: awaiting one approval
  await file(
    deployBot,
    body({
      action: "deploy.service.release",
      resource: "svc/payments-api@v2.41.0",
      environment: "production",
      intent: "Release payments-api v2.41.0 (fixes a refund rounding bug, PAY-1182).",
      context: {
        command: "kubectl -n payments set image deploy/payments-api api=registry.acme.test/payments-api:v2.41.0",
        diff: "- image: payments-api:v2.40.3\n+ image: payments-api:v2.41.0",
        change_ticket: "CHG-20931",
      },
      origin: { run_id: "gh-run-88412", trace_id: "4bf92f3577b34da6", model: "claude-sonnet-4.5", tool: "kubectl", host: "ci-runner-7" },
      on_behalf_of: "jonas@acme.test",
    }),
    minutesAgo(4),
  );

  // pending: IAM change needing two approvals, one given
  const iam = await file(
    iamAgent,
    body({
      action: "iam.policy.update",
      resource: "arn:aws:iam::123456789012:role/analytics-readonly",
      environment: "production",
      intent: "Grant analytics-readonly read access to the s3://acme-events bucket for the Q4 churn study.",
      context: {
        diff: '  "Action": ["s3:GetObject"],\n- "Resource": ["arn:aws:s3:::acme-warehouse/*"]\n+ "Resource": ["arn:aws:s3:::acme-warehouse/*", "arn:aws:s3:::acme-events/*"]',
        ticket: "ACCESS-553",
      },
      origin: { run_id: "access-7731", model: "gpt-5", tool: "aws-iam" },
      on_behalf_of: "noor@acme.test",
    }),
    minutesAgo(12),
  );
  await decideRequest(iam.id, await as(PERSONAS.sam, minutesAgo(9)), "approve", "Scoped to one bucket, read-only. OK.", "console", { now: minutesAgo(9) });

  // pending: bulk export
  await file(
    dataAgent,
    body({
      action: "data.export.customers",
      resource: "warehouse.customers",
      environment: "production",
      intent: "Export EU customers who churned in Q3 for the retention team's win-back campaign.",
      context: { query: "select id, email, plan, churned_at from customers where region = 'eu' and churned_at >= '2026-07-01'", row_count: 182_340, destination: "s3://acme-exports/retention/q3-eu.csv" },
      origin: { run_id: "nb-2291", model: "claude-opus-4", tool: "warehouse.export" },
      on_behalf_of: "marco@acme.test",
    }),
    minutesAgo(2),
  );

  // approved, waiting to be executed
  const scale = await file(
    opsAgent,
    body({
      action: "infra.cluster.scale",
      resource: "eks/prod-eu-1/nodegroup/general",
      environment: "production",
      intent: "Scale general node group from 12 to 18 nodes ahead of the Black Friday load test.",
      context: { from: 12, to: 18, reason: "load test LT-77 at 14:00 UTC" },
      origin: { run_id: "oncall-5531", model: "claude-sonnet-4.5", tool: "eksctl" },
    }),
    minutesAgo(6),
  );
  await decideRequest(scale.id, await as(PERSONAS.priya, minutesAgo(5)), "approve", "Go ahead; load test is scheduled.", "console", { now: minutesAgo(5) });

  // executed with a reported result
  const release = await file(
    deployBot,
    body({
      action: "deploy.service.release",
      resource: "svc/search-api@v1.9.2",
      environment: "production",
      intent: "Release search-api v1.9.2 (dependency security patch).",
      context: { command: "helm upgrade search-api charts/search-api --set image.tag=v1.9.2", cve: "CVE-2026-1042" },
      origin: { run_id: "gh-run-88377", model: "claude-sonnet-4.5", tool: "helm" },
    }),
    minutesAgo(50),
  );
  await decideRequest(release.id, await as(PERSONAS.riley, minutesAgo(48)), "approve", "Patch release, tests green.", "slack", { now: minutesAgo(48) });
  await claimApproval(deployBot, release.id, { now: minutesAgo(47) });
  await reportResult(deployBot, release.id, { status: "succeeded", detail: { rollout: "3/3 pods ready", duration_s: 74 } }, { now: minutesAgo(45) });

  // denied with a note
  const drop = await file(
    dataAgent,
    body({
      action: "data.export.customers",
      resource: "warehouse.customers_pii",
      environment: "production",
      intent: "Export full customer PII table for ad-hoc analysis.",
      context: { query: "select * from customers_pii", row_count: 2_400_000 },
      origin: { run_id: "nb-2270", model: "gpt-5", tool: "warehouse.export" },
      on_behalf_of: "marco@acme.test",
    }),
    minutesAgo(90),
  );
  await decideRequest(drop.id, await as(PERSONAS.dana, minutesAgo(85)), "deny", "Full PII export is not justified; use the anonymised view.", "console", { now: minutesAgo(85) });

  // refused outright by policy
  await file(
    opsAgent,
    body({
      action: "db.primary.drop",
      resource: "rds/prod-orders",
      environment: "production",
      intent: "Drop and recreate the orders database to clear corrupted test rows.",
      context: { command: "DROP DATABASE orders;" },
      origin: { run_id: "oncall-5502", model: "claude-sonnet-4.5", tool: "psql" },
    }),
    minutesAgo(30),
  );

  // auto-approved read
  await file(
    opsAgent,
    body({
      action: "logs.service.read",
      resource: "svc/payments-api",
      environment: "production",
      intent: "Read the last hour of payments-api error logs to investigate alert PAGE-3391.",
      context: { since: "1h", level: "error" },
      origin: { run_id: "oncall-5531", tool: "loki" },
    }),
    minutesAgo(20),
  );

  // cancelled by the agent
  const cancelled = await file(
    deployBot,
    body({
      action: "deploy.service.rollback",
      resource: "svc/checkout-web@v5.2.0",
      environment: "production",
      intent: "Roll back checkout-web to v5.2.0 after elevated 5xx.",
      context: { command: "kubectl rollout undo deploy/checkout-web -n web" },
      origin: { run_id: "gh-run-88390", tool: "kubectl" },
    }),
    minutesAgo(40),
  );
  await cancelRequest(deployBot, cancelled.id, "Error rate recovered on its own.", { now: minutesAgo(38) });

  // expired without a decision (filed long ago; the sweep below records the expiry)
  await file(
    iamAgent,
    body({
      action: "iam.user.grant",
      resource: "okta/user/tmp-contractor-14",
      environment: "production",
      intent: "Give the contractor admin access to the billing console for an audit.",
      context: { role: "billing-admin", duration: "7d" },
      origin: { run_id: "access-7702", model: "gpt-5" },
      on_behalf_of: "lena@acme.test",
    }),
    minutesAgo(26 * 60),
  );
  await expireDueRequests();

  return { skipped: false, agents: 4, requests: n };
}
