// The policy's `aws_identities:` section: which AWS callers (as STS's GetCallerIdentity names them)
// act as which agent. First match wins. Patterns use the policy's resource-glob rules (glob.ts);
// the account is always written out, because a wildcard account would admit anyone's AWS account.
import { z } from "zod";
import { parseCallerArn } from "@/lib/auth/aws-identity";
import { CountersignError } from "@/lib/errors";
import { matchesResource, resourceGlobProblem } from "./glob";
import type { AwsIdentityRule, Policy } from "./types";

const ACCOUNT = /^\d{12}$/;
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{1,79}$/;
const ARN_PATTERN = /^arn:(aws(?:-[a-z]+)*):(iam|sts)::([^:]*):(.+)$/;

/** Why an ARN pattern is unusable, or undefined when it is fine. */
export function arnPatternProblem(pattern: string): string | undefined {
  const m = ARN_PATTERN.exec(pattern);
  if (!m) return `"${pattern}" is not an ARN pattern such as "arn:aws:sts::123456789012:assumed-role/deploy-*/*"`;
  const [, , service, account, resource] = m as unknown as [string, string, string, string, string];
  if (!ACCOUNT.test(account)) {
    return `the account in "${pattern}" must be written out as 12 digits: a wildcard would admit roles in anyone's AWS account`;
  }
  if (service === "iam" && resource.startsWith("role/")) {
    return `GetCallerIdentity never names a role, only its sessions: write "arn:aws:sts::${account}:assumed-role/ROLE/SESSION" (globs allowed)`;
  }
  const kindOk = (service === "sts" && resource.startsWith("assumed-role/")) || (service === "iam" && resource.startsWith("user/"));
  if (!kindOk) return `"${pattern}" must name role sessions (arn:aws:sts::ACCOUNT:assumed-role/…) or IAM users (arn:aws:iam::ACCOUNT:user/…)`;
  return resourceGlobProblem(resource);
}

const nameGlob = (what: string) =>
  z.string().superRefine((pattern, ctx) => {
    const problem = pattern.includes("/") ? `a ${what} name has no "/"` : resourceGlobProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: pattern });
  });

const EntrySchema = z
  .strictObject({
    /** The caller's ARN, globbed: `arn:aws:sts::123456789012:assumed-role/deploy-*\/*`. */
    arn: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = arnPatternProblem(pattern);
        if (problem) ctx.addIssue({ code: "custom", message: problem, input: pattern });
      })
      .optional(),
    /** Shorthand: every IAM user and role session of this account (narrowed by `role` and `session`). */
    account: z
      .unknown()
      .superRefine((value, ctx) => {
        if (typeof value === "number") {
          ctx.addIssue({ code: "custom", message: `quote the account id ("${value}"): YAML reads an unquoted one as a number and drops leading zeros` });
        } else if (typeof value !== "string" || !ACCOUNT.test(value)) {
          ctx.addIssue({ code: "custom", message: "expected a 12-digit AWS account id in quotes, such as \"123456789012\"" });
        }
      })
      .transform((value) => value as string)
      .optional(),
    /** Shorthand with `account`: sessions of roles whose name matches (glob). */
    role: nameGlob("role").optional(),
    /** With `role`: only sessions whose name matches (glob). */
    session: nameGlob("session").optional(),
    agent: z.string().regex(AGENT_NAME, "agent names are lower-case letters, digits, dot, dash and underscore (2-80)"),
  })
  .superRefine((entry, ctx) => {
    if (entry.arn !== undefined && (entry.account !== undefined || entry.role !== undefined || entry.session !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["arn"], message: "give either arn, or account (with role and session): not both" });
    } else if (entry.arn === undefined && entry.account === undefined) {
      ctx.addIssue({ code: "custom", path: ["account"], message: "is required: give arn, or account (with role and session)" });
    }
    if (entry.session !== undefined && entry.role === undefined) {
      ctx.addIssue({ code: "custom", path: ["role"], message: "is required with session" });
    }
  })
  .transform(
    (entry): AwsIdentityRule =>
      entry.arn !== undefined
        ? { arn: entry.arn, agent: entry.agent }
        : {
            account: entry.account!,
            ...(entry.role !== undefined ? { role: entry.role } : {}),
            ...(entry.session !== undefined ? { session: entry.session } : {}),
            agent: entry.agent,
          },
  );

/** `aws_identities:` as written in policy.yaml, to the domain list. */
export const AwsIdentitiesSchema = z.array(EntrySchema);

/** The first entry that maps this caller ARN (as STS returned it) to an agent; null when none does. */
export function matchAwsIdentity(policy: Pick<Policy, "awsIdentities">, arn: string): { agent: string; rule: number } | null {
  let caller: ReturnType<typeof parseCallerArn>;
  try {
    caller = parseCallerArn(arn);
  } catch {
    return null;
  }
  const index = policy.awsIdentities.findIndex((rule) => {
    if ("arn" in rule) return matchesResource(rule.arn, arn);
    if (rule.account !== caller.account) return false;
    if (rule.role === undefined) return true;
    const { principal } = caller;
    if (principal.kind === "user" || !matchesResource(rule.role, principal.name)) return false;
    return rule.session === undefined || (principal.session !== undefined && matchesResource(rule.session, principal.session));
  });
  return index < 0 ? null : { agent: policy.awsIdentities[index]!.agent, rule: index };
}

/** The agent this AWS caller acts as; 401 invalid_token (check `no_matching_identity`) when the policy maps it to none. */
export function agentForAwsCaller(policy: Pick<Policy, "awsIdentities">, arn: string): { agent: string; rule: number } {
  const match = matchAwsIdentity(policy, arn);
  if (!match) {
    const message = `No aws_identities entry maps ${arn.slice(0, 200)} to an agent.`;
    throw new CountersignError("invalid_token", message, { issues: [{ path: "no_matching_identity", message }] });
  }
  return match;
}
