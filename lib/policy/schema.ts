// The policy file format: a strict zod schema of policy.yaml (snake_case keys) whose output is the
// domain `Policy` with every default resolved and every duration converted to seconds.
import ms from "ms";
import { z } from "zod";
import { CONSOLE_ROLES, POLICY_DECISIONS, type ConsoleRole, type PolicyDecision } from "@/lib/vocabulary";
import { AwsIdentitiesSchema } from "./aws-identities";
import { actionGlobProblem, resourceGlobProblem } from "./glob";
import { linkTemplateProblem } from "./links";
import { issuerProblem } from "./workload-identities";
import { LINK_FIELDS, type LinkField, type Policy, type PolicyRule } from "./types";

/** Name of the rule a request gets when no rule in the file matches it; reserved. */
export const NO_MATCHING_RULE_NAME = "no-matching-rule";

export const DEFAULT_ENVIRONMENT_RISK: Readonly<Record<string, number>> = { production: 25, staging: 10, development: 0 };
export const DEFAULT_DECISION_DEADLINE_SECONDS = 60 * 60;
export const DEFAULT_GRANT_WINDOW_SECONDS = 15 * 60;
export const DEFAULT_APPROVALS = 1;
/** An unreviewed break-glass is escalated this long after it happened, unless the rule says otherwise. */
export const DEFAULT_BREAK_GLASS_REVIEW_SECONDS = 24 * 60 * 60;

// Upper bounds keep a typo ("30d" for "30m") from leaving a request open for a month or an
// approval usable all week.
const MAX_DECISION_DEADLINE = "7d";
const MAX_GRANT_WINDOW = "24h";

/** What the policy file looks like once validated, before the rule defaults are applied. */
export type PolicyBody = Omit<Policy, "hash" | "source">;

// ---------------------------------------------------------------------------------------------
// Messages. One error map turns zod's generic wording into sentences about a YAML file, so every
// problem reads the same whichever schema raised it.

/** `the string "x"`, `the number 3`, `a list`: what the author actually wrote. */
export function describeValue(input: unknown): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  switch (typeof input) {
    case "string":
      return `the string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 37)}...` : input)}`;
    case "number":
      return `the number ${input}`;
    case "boolean":
      return String(input);
    case "object":
      return "a mapping";
    default:
      return typeof input;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
  boolean: "true or false",
};

export const policyErrorMap: z.core.$ZodErrorMap = (issue) => {
  // A missing key reaches every schema as `undefined`, whatever the expected type.
  if (issue.input === undefined && issue.code !== "unrecognized_keys") return "is required";
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case "invalid_value": {
      const allowed = issue.values.map((v) => String(v)).join(", ");
      return `must be ${issue.values.length > 1 ? "one of " : ""}${allowed}; got ${describeValue(issue.input)}`;
    }
    case "too_small":
      if (issue.origin === "array") return `must list at least ${issue.minimum}`;
      if (issue.origin === "string") return "must not be empty";
      return `must be at least ${issue.minimum}, got ${describeValue(issue.input)}`;
    case "too_big":
      if (issue.origin === "array") return `must list at most ${issue.maximum}`;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}, got ${describeValue(issue.input)}`;
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// Leaf schemas.

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_HINT = 'use lower-case letters, digits, "-" and "_"';

/** Okta group names are used as-is; GitHub teams are spelled `github:org/team-slug`. */
const idpGroup = z
  .string()
  .refine((g) => g.length > 0 && g.trim() === g, "IdP group names must not be empty or start or end with spaces")
  .refine(
    (g) => !g.toLowerCase().startsWith("github:") || /^github:[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(g),
    'GitHub teams are written "github:org/team-slug"',
  );

const environmentName = z
  .string()
  .regex(/^(\*|[a-z0-9][a-z0-9_-]*)$/, `environment names ${NAME_HINT}, or "*" for any environment`);

/** A positive duration such as "30m" or "1h", parsed by `ms` and returned in whole seconds. */
function duration(max: string) {
  const maxMs = ms(max as ms.StringValue);
  return z
    .string({ error: (issue) => `expected a duration with a unit, such as "30m" or "1h"; got ${describeValue(issue.input)}` })
    .transform((text, ctx) => {
      const problem = (message: string) => {
        ctx.addIssue({ code: "custom", message, input: text });
        return z.NEVER;
      };
      // `ms` reads a bare number as milliseconds; nobody writing a policy means that.
      if (/^\s*-?[\d.]+\s*$/.test(text)) return problem(`"${text}" needs a unit, such as "${text.trim()}m" or "${text.trim()}h"`);
      const value = ms(text as ms.StringValue) as number | undefined;
      if (value === undefined || !Number.isFinite(value)) {
        return problem(`"${text}" is not a duration; write a number and a unit, such as "30m", "1h" or "2d"`);
      }
      if (value <= 0) return problem(`"${text}" must be longer than zero`);
      if (value > maxMs) return problem(`"${text}" is longer than the maximum of ${max}`);
      if (value % 1000 !== 0) return problem(`"${text}" must be a whole number of seconds`);
      return value / 1000;
    });
}

const riskPoints = z.number().int().min(0).max(100);

// ---------------------------------------------------------------------------------------------
// Structure.

const MatchSchema = z.strictObject({
  action: z
    .string()
    .superRefine((pattern, ctx) => {
      const problem = actionGlobProblem(pattern);
      if (problem) ctx.addIssue({ code: "custom", message: problem, input: pattern });
    })
    .optional(),
  // A single name is the common case; a list covers several environments.
  environment: z
    .preprocess((value) => (typeof value === "string" ? [value] : value), z.array(environmentName).min(1))
    .optional(),
  resource: z
    .string()
    .superRefine((pattern, ctx) => {
      const problem = resourceGlobProblem(pattern);
      if (problem) ctx.addIssue({ code: "custom", message: problem, input: pattern });
    })
    .optional(),
});

const NotifySchema = z.strictObject({
  slack_channel: z
    .string()
    .regex(
      /^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,})$/,
      'expected a Slack channel such as "#sec-approvals" or a channel ID such as "C0123456789"',
    )
    .optional(),
  teams_webhook: z.url({ protocol: /^https$/, error: "expected the https:// URL of a Teams Workflows webhook" }).optional(),
});

/** Keys that only mean something for some decisions; naming them elsewhere is a mistake to flag. */
const DECISION_ONLY_KEYS: Record<string, readonly PolicyDecision[]> = {
  approvals: ["require_approval"],
  approvers: ["require_approval"],
  decision_deadline: ["require_approval"],
  notify: ["require_approval"],
  step_up: ["require_approval"],
  break_glass: ["require_approval"],
  remind_after: ["require_approval"],
  escalate_after: ["require_approval"],
  grant_window: ["require_approval", "auto_approve"],
};

const RuleSchema = z
  .strictObject({
    name: z
      .string()
      .max(64)
      .regex(NAME, `rule names ${NAME_HINT}`)
      .refine((name) => name !== NO_MATCHING_RULE_NAME, `"${NO_MATCHING_RULE_NAME}" is reserved for the implicit deny`),
    description: z.string().min(1).optional(),
    match: MatchSchema.optional(),
    decision: z.enum(POLICY_DECISIONS),
    risk: riskPoints,
    approvals: z.number().int().min(1).max(10).optional(),
    approvers: z.array(z.string()).min(1).optional(),
    decision_deadline: duration(MAX_DECISION_DEADLINE).optional(),
    grant_window: duration(MAX_GRANT_WINDOW).optional(),
    notify: NotifySchema.optional(),
    /** Approving needs a sign-in within the last few minutes (critical requests need it anyway). */
    step_up: z.boolean().optional(),
    /** One eligible person may approve alone, with a written reason; never on a deny or auto_approve rule. */
    break_glass: z
      .strictObject({
        groups: z.array(z.string()).min(1),
        notify: NotifySchema.optional(),
        review_within: duration(MAX_DECISION_DEADLINE).optional(),
      })
      .optional(),
    remind_after: duration(MAX_DECISION_DEADLINE).optional(),
    escalate_after: z.strictObject({ after: duration(MAX_DECISION_DEADLINE), to: z.string() }).optional(),
  })
  .superRefine((rule, ctx) => {
    for (const [key, decisions] of Object.entries(DECISION_ONLY_KEYS)) {
      if (rule[key as keyof typeof rule] !== undefined && !decisions.includes(rule.decision)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `only applies to ${decisions.join(" and ")} rules, and this rule's decision is ${rule.decision}`,
        });
      }
    }
    if (rule.decision === "require_approval" && rule.approvers === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["approvers"],
        message: "is required: a require_approval rule must name at least one approver group",
      });
    }
  });

type RuleFile = z.output<typeof RuleSchema>;

const DefaultsSchema = z.strictObject({
  decision_deadline: duration(MAX_DECISION_DEADLINE).optional(),
  grant_window: duration(MAX_GRANT_WINDOW).optional(),
  approvals: z.number().int().min(1).max(10).optional(),
});

/** `links:` — where a request's run id, trace id and ticket fields point (an http(s) URL with `{value}`). */
const linkTemplate = z.string().superRefine((template, ctx) => {
  const problem = linkTemplateProblem(template);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: template });
});
const LinksSchema = z.strictObject(
  Object.fromEntries(LINK_FIELDS.map((field) => [field, linkTemplate.optional()])) as Record<LinkField, z.ZodOptional<typeof linkTemplate>>,
);

const roleGroups = z.array(idpGroup);
/** `roles:` names each console role at most once; a role left out is granted to nobody. */
const rolesShape = Object.fromEntries(CONSOLE_ROLES.map((role) => [role, roleGroups.optional()])) as Record<
  ConsoleRole,
  z.ZodOptional<typeof roleGroups>
>;

/**
 * `workload_identities:` — which OIDC issuers' tokens may stand in for an agent key. The issuer is
 * matched exactly and its audience is required; `match` must name at least one claim, so no rule
 * can admit every workload an issuer signs for (every GitHub repository in the world).
 */
const CLAIM_NAME = /^[A-Za-z0-9_:.\/-]{1,100}$/;
/**
 * Why a claim glob would widen a rule past what it names, or null. A claim list is "any of", so a
 * negation (`!acme/secret`) or an extglob (`!(…)`) in it matches every other value — every
 * repository in the world — and a pattern of wildcards alone matches anything.
 */
export function claimGlobWideningProblem(pattern: string): string | null {
  if (pattern.startsWith("!") || /[!@+?*]\(/.test(pattern)) {
    return `the claim glob "${pattern}" uses a negation or an extglob; in a list that means "anything but", which admits every workload the issuer signs for: list only what to admit`;
  }
  if (/^[*?/]+$/.test(pattern)) return `the claim glob "${pattern}" is wildcards alone and would admit every workload the issuer signs for: name what to admit (e.g. "acme/*")`;
  return null;
}
const claimGlob = z.string().min(1).superRefine((pattern, ctx) => {
  const problem = claimGlobWideningProblem(pattern) ?? resourceGlobProblem(pattern);
  if (problem) ctx.addIssue({ code: "custom", message: problem.replace("resource glob", "claim glob"), input: pattern });
});
const WorkloadIdentitySchema = z.strictObject({
  issuer: z.string().superRefine((issuer, ctx) => {
    const problem = issuerProblem(issuer);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: issuer });
  }),
  audience: z.string().min(1).max(200),
  match: z
    .record(z.string().regex(CLAIM_NAME, "claim names are letters, digits and _ : . / -"), z.union([claimGlob, z.array(claimGlob).min(1)]))
    .refine((m) => Object.keys(m).length > 0, "must name at least one claim (e.g. repository), or every workload the issuer signs for would match"),
  agent: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "an agent name as registered (countersign agents create)"),
});

const FileSchema = z.strictObject({
  version: z.literal(1, {
    error: (issue) =>
      issue.input === undefined
        ? "is required (write `version: 1`)"
        : `unsupported policy version ${JSON.stringify(issue.input)}; this Countersign reads version 1`,
  }),
  roles: z.strictObject(rolesShape),
  approver_groups: z.record(z.string(), z.array(idpGroup).min(1)),
  environment_risk: z.record(z.string(), riskPoints).optional(),
  defaults: DefaultsSchema.optional(),
  rules: z.array(RuleSchema).min(1),
  links: LinksSchema.optional(),
  /** Workload identity, AWS IAM: which AWS callers act as which agent (lib/policy/aws-identities.ts). */
  aws_identities: AwsIdentitiesSchema.optional(),
  workload_identities: z.array(WorkloadIdentitySchema).optional(),
});

type PolicyFile = z.output<typeof FileSchema>;

// ---------------------------------------------------------------------------------------------
// Checks across sections. They run once the structure is valid, like a compiler that reports
// type errors only after the syntax is right.

function checkReferences(file: PolicyFile, ctx: z.core.$RefinementCtx<PolicyFile>): void {
  for (const name of Object.keys(file.approver_groups)) {
    if (!NAME.test(name)) {
      ctx.addIssue({ code: "custom", path: ["approver_groups", name], message: `approver group names ${NAME_HINT}` });
    }
  }
  const environmentRisk = file.environment_risk ?? DEFAULT_ENVIRONMENT_RISK;
  for (const name of Object.keys(environmentRisk)) {
    if (!NAME.test(name)) {
      ctx.addIssue({ code: "custom", path: ["environment_risk", name], message: `environment names ${NAME_HINT}` });
    }
  }
  const knownEnvironments = Object.keys(environmentRisk);

  const firstIndexByName = new Map<string, number>();
  file.rules.forEach((rule, index) => {
    const first = firstIndexByName.get(rule.name);
    if (first === undefined) firstIndexByName.set(rule.name, index);
    else {
      ctx.addIssue({
        code: "custom",
        path: ["rules", index, "name"],
        message: `duplicate rule name "${rule.name}" (already used by rules[${first}])`,
      });
    }

    rule.approvers?.forEach((approver, j) => {
      if (!Object.hasOwn(file.approver_groups, approver)) {
        ctx.addIssue({ code: "custom", path: ["rules", index, "approvers", j], message: `unknown approver group "${approver}"` });
      }
    });

    rule.break_glass?.groups.forEach((group, j) => {
      if (!Object.hasOwn(file.approver_groups, group)) {
        ctx.addIssue({ code: "custom", path: ["rules", index, "break_glass", "groups", j], message: `unknown approver group "${group}"` });
      }
    });
    if (rule.escalate_after && !Object.hasOwn(file.approver_groups, rule.escalate_after.to)) {
      ctx.addIssue({ code: "custom", path: ["rules", index, "escalate_after", "to"], message: `unknown approver group "${rule.escalate_after.to}"` });
    }
    // A reminder or escalation due after the decision deadline would never happen.
    const deadline = rule.decision_deadline ?? file.defaults?.decision_deadline ?? DEFAULT_DECISION_DEADLINE_SECONDS;
    if (rule.remind_after !== undefined && rule.remind_after >= deadline) {
      ctx.addIssue({ code: "custom", path: ["rules", index, "remind_after"], message: "must be shorter than the rule's decision deadline" });
    }
    if (rule.escalate_after && rule.escalate_after.after >= deadline) {
      ctx.addIssue({ code: "custom", path: ["rules", index, "escalate_after", "after"], message: "must be shorter than the rule's decision deadline" });
    }

    // An environment typo would make a deny rule silently never match, so rules may only name
    // environments the policy knows (the keys of environment_risk).
    rule.match?.environment?.forEach((environment, j) => {
      // A malformed name has its own message already; saying "unknown" as well is noise.
      if (NAME.test(environment) && !knownEnvironments.includes(environment)) {
        ctx.addIssue({
          code: "custom",
          path: ["rules", index, "match", "environment", j],
          message: `unknown environment "${environment}" (known: ${knownEnvironments.join(", ")}; add it to environment_risk)`,
        });
      }
    });

    const shadow = file.rules.slice(0, index).find((earlier) => covers(earlier, rule));
    if (shadow) {
      ctx.addIssue({
        code: "custom",
        path: ["rules", index],
        message: `rule "${rule.name}" can never match: rule "${shadow.name}" above it matches everything it would`,
      });
    }
  });
}

/**
 * True when `earlier` matches every request `later` could match, so `later` is dead under
 * first-match-wins. Deliberately conservative: only catch-alls and identical patterns count, so a
 * reported shadow is always real.
 */
function covers(earlier: RuleFile, later: RuleFile): boolean {
  const action = (r: RuleFile) => r.match?.action ?? "**";
  const resource = (r: RuleFile) => r.match?.resource ?? "**";
  const environments = (r: RuleFile) => r.match?.environment ?? ["*"];
  const earlierEnvironments = environments(earlier);
  const laterEnvironments = environments(later);
  const environmentCovered =
    earlierEnvironments.includes("*") ||
    (!laterEnvironments.includes("*") && laterEnvironments.every((e) => earlierEnvironments.includes(e)));
  return (
    (action(earlier) === "**" || action(earlier) === action(later)) &&
    (resource(earlier) === "**" || resource(earlier) === resource(later)) &&
    environmentCovered
  );
}

// ---------------------------------------------------------------------------------------------
// Translation to the domain shape.

function toPolicyBody(file: PolicyFile): PolicyBody {
  const defaults = {
    decisionDeadlineSeconds: file.defaults?.decision_deadline ?? DEFAULT_DECISION_DEADLINE_SECONDS,
    grantWindowSeconds: file.defaults?.grant_window ?? DEFAULT_GRANT_WINDOW_SECONDS,
    approvals: file.defaults?.approvals ?? DEFAULT_APPROVALS,
  };
  const roles = Object.fromEntries(CONSOLE_ROLES.map((role) => [role, file.roles[role] ?? []])) as Record<ConsoleRole, string[]>;
  const rules = file.rules.map((rule): PolicyRule => {
    const needsApproval = rule.decision === "require_approval";
    const notify: PolicyRule["notify"] = {};
    if (rule.notify?.slack_channel) notify.slackChannel = rule.notify.slack_channel;
    if (rule.notify?.teams_webhook) notify.teamsWebhook = rule.notify.teams_webhook;
    return {
      name: rule.name,
      ...(rule.description !== undefined ? { description: rule.description } : {}),
      match: {
        action: rule.match?.action ?? "**",
        environments: rule.match?.environment ?? ["*"],
        resource: rule.match?.resource ?? "**",
      },
      decision: rule.decision,
      risk: rule.risk,
      approvals: needsApproval ? (rule.approvals ?? defaults.approvals) : 0,
      approvers: needsApproval ? (rule.approvers ?? []) : [],
      decisionDeadlineSeconds: rule.decision_deadline ?? defaults.decisionDeadlineSeconds,
      grantWindowSeconds: rule.grant_window ?? defaults.grantWindowSeconds,
      notify,
      stepUp: rule.step_up ?? false,
      ...(rule.break_glass
        ? {
            breakGlass: {
              groups: rule.break_glass.groups,
              notify: {
                ...(rule.break_glass.notify?.slack_channel ? { slackChannel: rule.break_glass.notify.slack_channel } : {}),
                ...(rule.break_glass.notify?.teams_webhook ? { teamsWebhook: rule.break_glass.notify.teams_webhook } : {}),
              },
              reviewWithinSeconds: rule.break_glass.review_within ?? DEFAULT_BREAK_GLASS_REVIEW_SECONDS,
            },
          }
        : {}),
      ...(rule.remind_after !== undefined ? { remindAfterSeconds: rule.remind_after } : {}),
      ...(rule.escalate_after ? { escalateAfter: { seconds: rule.escalate_after.after, to: rule.escalate_after.to } } : {}),
    };
  });
  return {
    version: 1,
    roles,
    approverGroups: file.approver_groups,
    environmentRisk: file.environment_risk ?? { ...DEFAULT_ENVIRONMENT_RISK },
    rules,
    links: Object.fromEntries(Object.entries(file.links ?? {}).filter(([, t]) => t !== undefined)),
    awsIdentities: file.aws_identities ?? [],
    workloadIdentities: (file.workload_identities ?? []).map((w) => ({
      issuer: w.issuer,
      audience: w.audience,
      match: Object.fromEntries(Object.entries(w.match).map(([claim, globs]) => [claim, typeof globs === "string" ? [globs] : globs])),
      agent: w.agent,
    })),
  };
}

/** The whole file: structure, then cross-references, then the domain shape. */
export const PolicyFileSchema = FileSchema.superRefine(checkReferences).transform(toPolicyBody);
