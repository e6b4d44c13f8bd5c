// RFC 8693 token exchange at /api/v1/token: a workload's identity token in, a short-lived agent
// token out. The door parses the form; this decides, and every failure is a typed error whose
// RFC 6749 rendering (tokenErrorBody) the door returns.
import { z } from "zod";
import { agentForWorkload } from "@/lib/agents/registry";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { getActivePolicy } from "@/lib/policy/load";
import { awsIdentityBackend } from "./aws-token-subject";
import { failedCheck, issueAgentToken, tokenError, verifyWorkloadToken, type WorkloadIdentity } from "./workload-identity";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** A signed sts:GetCallerIdentity request (base64url of its JSON): the AWS IAM half (lib/auth/aws-identity.ts). */
export const AWS_SUBJECT_TOKEN_TYPE = "urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity";

export const tokenExchangeForm = z.strictObject({
  grant_type: z.string().min(1),
  subject_token: z.string().min(1).max(16_384),
  subject_token_type: z.string().min(1),
  // RFC 8693 parameters we accept and ignore: the token is for this server's agent API only.
  requested_token_type: z.literal(ACCESS_TOKEN_TYPE).optional(),
  audience: z.string().max(500).optional(),
  resource: z.string().max(2000).optional(),
  scope: z.string().max(500).optional(),
});
export type TokenExchangeForm = z.infer<typeof tokenExchangeForm>;

export type TokenExchangeResponse = {
  access_token: string;
  issued_token_type: typeof ACCESS_TOKEN_TYPE;
  token_type: "Bearer";
  expires_in: number;
};

export { useAwsIdentity, type AwsIdentityBackend } from "./aws-token-subject";

/** Form fields -> validated parameters (400 invalid_request naming the field). */
export function parseTokenExchangeForm(form: URLSearchParams): TokenExchangeForm {
  const seen = new Set<string>();
  for (const name of form.keys()) {
    // RFC 6749 §3.2: parameters must not be included more than once.
    if (seen.has(name)) throw new CountersignError("invalid_request", `The parameter ${name} is repeated.`, { issues: [{ path: name, message: "repeated" }] });
    seen.add(name);
  }
  const parsed = tokenExchangeForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new CountersignError("invalid_request", "The token request is invalid.", { issues: issuesFromZod(parsed.error.issues) });
  return parsed.data;
}

/** Exchanges a workload's token for an agent token, or throws (invalid_token naming the check, agent_revoked, …). */
export async function exchangeToken(
  form: TokenExchangeForm,
  /** Each exchange counts against the agent's own rate limit, once the token says which agent it is. */
  consumeRateLimit: (agentId: string) => Promise<void>,
): Promise<TokenExchangeResponse> {
  if (form.grant_type !== TOKEN_EXCHANGE_GRANT) {
    throw new CountersignError("invalid_request", `Unsupported grant_type; use ${TOKEN_EXCHANGE_GRANT}.`, {
      issues: [{ path: "grant_type", message: "unsupported_grant_type" }],
    });
  }
  let agentName: string;
  let identity: WorkloadIdentity;
  let notAfter: Date;
  if (form.subject_token_type === JWT_TOKEN_TYPE || form.subject_token_type === ID_TOKEN_TYPE) {
    const verified = await verifyWorkloadToken(form.subject_token, await getActivePolicy());
    ({ agentName, identity } = verified);
    notAfter = verified.expiresAt;
  } else if (form.subject_token_type === AWS_SUBJECT_TOKEN_TYPE) {
    ({ agentName, identity, notAfter } = await verifyAwsSubject(form.subject_token));
  } else {
    throw new CountersignError("invalid_request", `Unsupported subject_token_type; use ${JWT_TOKEN_TYPE}, ${ID_TOKEN_TYPE} or ${AWS_SUBJECT_TOKEN_TYPE}.`, {
      issues: [{ path: "subject_token_type", message: "unsupported" }],
    });
  }
  const agent = await agentForWorkload(agentName);
  await consumeRateLimit(agent.id);
  const issued = await issueAgentToken(agent.id, identity, notAfter);
  return { access_token: issued.token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: "Bearer", expires_in: issued.expiresIn };
}

async function verifyAwsSubject(subjectToken: string): Promise<{ agentName: string; identity: WorkloadIdentity; notAfter: Date }> {
  const awsBackend = awsIdentityBackend();
  if (!awsBackend) {
    throw new CountersignError("invalid_request", "AWS IAM identities are not enabled on this server.", { issues: [{ path: "subject_token_type", message: "unsupported" }] });
  }
  let signed: unknown;
  try {
    signed = JSON.parse(Buffer.from(subjectToken, "base64url").toString("utf8"));
  } catch {
    throw tokenError("malformed", "The subject_token is not base64url of a signed GetCallerIdentity request's JSON.");
  }
  const shape = z.strictObject({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() }).safeParse(signed);
  if (!shape.success) throw tokenError("malformed", "The subject_token is not a signed GetCallerIdentity request (method, url, headers, body).");
  const caller = await awsBackend.verify(shape.data);
  const match = await awsBackend.match(caller.arn);
  if (!match) throw tokenError("no_matching_identity", `No aws_identities rule matches ${caller.arn}.`);
  // A signed GetCallerIdentity is good for 15 minutes from its x-amz-date: the agent token it buys does not outlive that.
  return {
    agentName: match.agent,
    identity: { kind: "aws", arn: caller.arn, account: caller.account },
    notAfter: new Date((caller.signedAt?.getTime() ?? Date.now()) + 15 * 60_000),
  };
}

/** RFC 6749 §5.2 error body, with Countersign's code and the failing check beside it. */
export function tokenErrorBody(err: CountersignError): Record<string, unknown> {
  const check = failedCheck(err);
  const unsupportedGrant = err.issues[0]?.path === "grant_type";
  // RFC 6750's invalid_token for any refused credential (expired, revoked, mismatched); RFC 6749's names otherwise.
  const error =
    err.status === 401
      ? "invalid_token"
      : unsupportedGrant
        ? "unsupported_grant_type"
        : err.status === 429 || err.status === 503
          ? "temporarily_unavailable"
          : err.status < 500
            ? "invalid_request"
            : "server_error";
  return {
    error,
    error_description: err.message,
    code: err.code,
    ...(check ? { check } : {}),
    ...(err.issues.length > 0 && !check ? { issues: err.issues } : {}),
  };
}
