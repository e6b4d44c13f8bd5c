// AWS IAM workload identity, as Vault's `aws` auth method does it: an agent signs an
// sts:GetCallerIdentity request with its own AWS credentials (SigV4, binding our server id into the
// signature) and hands us the signed request; we check it is exactly that request, aimed at our
// STS endpoint and at us, forward it unchanged to STS, and read who signed it from STS's answer.
// We never see the agent's secret key and never forward to a host the caller chose.
import { createHash } from "node:crypto";
import { env, type Env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";

export type SignedAwsRequest = { method: string; url: string; headers: Record<string, string>; body: string };

export type AwsPrincipal = {
  kind: "user" | "role" | "assumed-role";
  name: string;
  session?: string;
  /** The IAM path of a user or role ARN (`/ci/` in `user/ci/builder`); assumed-role ARNs carry none. */
  path?: string;
};

export type AwsIdentity = {
  arn: string;
  account: string;
  userId: string;
  principal: AwsPrincipal;
  /** x-amz-date: the signed request is good until 15 minutes after it (what it is exchanged for should not outlive that). */
  signedAt: Date;
};

export type AwsIdentityOptions = { serverId: string; stsEndpoint: string; fetch?: typeof fetch; /** default 5 s */ timeoutMs?: number };

/** The header agents sign with our server id in it, so a signed request made for us is useless elsewhere (and vice versa). */
export const SERVER_ID_HEADER = "x-countersign-server-id";
/** The only request we forward: the body STS's query protocol sends for GetCallerIdentity (either order). */
const GET_CALLER_IDENTITY_BODIES = ["Action=GetCallerIdentity&Version=2011-06-15", "Version=2011-06-15&Action=GetCallerIdentity"];
/** How far x-amz-date may be from our clock: STS's own limit for a SigV4 signature. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const STS_TIMEOUT_MS = 5_000;
const MAX_STS_ANSWER_BYTES = 64 * 1024;

// Limits on what a caller sends: a session token is the longest header (a few KiB at most).
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 8 * 1024;
const MAX_URL = 512;
const MAX_BODY = 256;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;
/** Signed headers that fetch sets itself or refuses; signing them buys nothing and smuggles intent. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect", "proxy-authorization", "proxy-connection"]);

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]{16,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request, ?SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*), ?Signature=[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * The checks a signed request can fail, named as the OIDC half names its checks (the token
 * endpoint answers them as `check`): the request's shape, the STS endpoint it is aimed at (our
 * "issuer"), the server id (our "audience"), its date, STS's verdict on the signature, the caller.
 */
export type AwsCheck = "malformed" | "issuer" | "audience" | "expired" | "not_yet_valid" | "signature" | "no_matching_identity";

/** 401 invalid_token naming the failed check, the same shape as every other presented-token failure. */
const refused = (reason: string, check: AwsCheck = "malformed") => {
  const message = `AWS identity refused: ${reason}`;
  return new CountersignError("invalid_token", message, { issues: [{ path: check, message }] });
};
const stsUnavailable = (reason: string) =>
  new CountersignError("unavailable", `AWS STS could not be asked who signed the request (${reason}); retry shortly.`, { retryAfterSeconds: 2 });

/**
 * Checks a signed GetCallerIdentity request, has STS verify its signature, and returns the caller.
 * Throws `unauthorized` for anything the caller got wrong (or STS refused) and `unavailable` when
 * STS cannot be reached or answers nonsense.
 */
export async function verifyAwsIdentity(signed: SignedAwsRequest, opts: AwsIdentityOptions): Promise<AwsIdentity> {
  const endpoint = new URL(opts.stsEndpoint);
  const { forward, signedAt } = checkSignedRequest(signed, opts.serverId, endpoint, Date.now());

  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(endpoint, {
      method: "POST",
      headers: forward,
      body: signed.body,
      // A redirect would send the caller's signature somewhere we did not choose.
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? STS_TIMEOUT_MS),
    });
    text = await readCapped(res, MAX_STS_ANSWER_BYTES);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw stsUnavailable(timedOut ? `no answer within ${(opts.timeoutMs ?? STS_TIMEOUT_MS) / 1000} s` : "unreachable");
  }

  if (res.status === 200) return { ...identityFromAnswer(text), signedAt: new Date(signedAt) };
  const error = stsError(text);
  if (res.status === 429 || res.status >= 500 || error?.code === "Throttling") {
    throw stsUnavailable(`HTTP ${res.status}${error ? ` ${error.code}` : ""}`);
  }
  if (res.status >= 400 && res.status < 500) {
    const detail = error ? `${error.code}: ${error.message}` : `HTTP ${res.status}`;
    throw refused(`AWS STS did not accept the signature (${detail.slice(0, 400)})`, error?.code === "ExpiredToken" ? "expired" : "signature");
  }
  throw stsUnavailable(`unexpected HTTP ${res.status}`);
}

/**
 * Everything checked before anything is forwarded (as Vault does): the exact request, our endpoint,
 * our server id signed into it, a fresh date. Returns the headers to forward: the signed ones plus
 * the signature and session token, never anything unsigned the caller added.
 */
function checkSignedRequest(signed: SignedAwsRequest, serverId: string, endpoint: URL, now: number) {
  if (typeof signed !== "object" || signed === null) throw refused("the signed request must be an object");
  const { method, url, headers: rawHeaders, body } = signed as Partial<Record<keyof SignedAwsRequest, unknown>>;
  if (method !== "POST") throw refused("the signed request must be a POST");
  if (typeof url !== "string" || url.length > MAX_URL) throw refused("the signed request has no usable url");
  if (typeof body !== "string" || body.length > MAX_BODY || !GET_CALLER_IDENTITY_BODIES.includes(body)) {
    throw refused('the body must be exactly "Action=GetCallerIdentity&Version=2011-06-15"');
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw refused("the signed request's url is not a URL");
  }
  // Never forward to a host the caller chose: the url must be our configured STS endpoint, exactly.
  if (target.href !== endpoint.href || target.username || target.password) {
    throw refused(`the request was signed for ${JSON.stringify(url.slice(0, 100))}; this server only accepts requests signed for ${endpoint.href}`, "issuer");
  }

  const headers = readHeaders(rawHeaders);
  const authorization = headers.get("authorization");
  if (!authorization) throw refused("the signed request has no Authorization header (presigned URLs are not accepted)");
  const auth = AUTHORIZATION.exec(authorization);
  if (!auth) throw refused("the Authorization header is not an AWS4-HMAC-SHA256 signature");
  const [, , scopeDate, scopeRegion, scopeService, signedList] = auth as unknown as string[];
  if (scopeService !== "sts") throw refused(`the request was signed for the service "${scopeService}", not "sts"`);
  const expectedRegion = regionOfStsHost(endpoint.hostname);
  if (expectedRegion && scopeRegion !== expectedRegion) {
    throw refused(`the request was signed for the region ${scopeRegion}; this server asks STS in ${expectedRegion}`, "issuer");
  }

  const signedHeaders = signedList!.split(";");
  for (const required of ["host", "x-amz-date", SERVER_ID_HEADER]) {
    if (!signedHeaders.includes(required)) throw refused(`the header ${required} must be signed (it is not in SignedHeaders)`);
  }
  for (const name of signedHeaders) {
    if (!headers.has(name)) throw refused(`the signed header ${name} is missing`);
    if (HOP_BY_HOP.has(name)) throw refused(`the header ${name} may not be signed`);
  }
  if (headers.get(SERVER_ID_HEADER) !== serverId) {
    throw refused(`the request was signed for the server id ${JSON.stringify(headers.get(SERVER_ID_HEADER)!.slice(0, 100))}, not this server's`, "audience");
  }
  if (headers.get("host") !== endpoint.host) throw refused(`the signed Host header is not ${endpoint.host}`, "issuer");
  const contentLength = headers.get("content-length");
  if (contentLength !== undefined && contentLength !== String(Buffer.byteLength(body))) throw refused("the signed Content-Length is not the body's length");
  const bodyHash = headers.get("x-amz-content-sha256");
  if (bodyHash !== undefined && bodyHash !== createHash("sha256").update(body).digest("hex")) throw refused("x-amz-content-sha256 is not the body's hash");
  const contentType = headers.get("content-type");
  if (contentType !== undefined && !/^application\/x-www-form-urlencoded(; ?charset=utf-8)?$/i.test(contentType)) {
    throw refused("the Content-Type must be application/x-www-form-urlencoded");
  }

  const date = AMZ_DATE.exec(headers.get("x-amz-date")!);
  const signedAt = date ? Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!) : NaN;
  if (!date || !Number.isFinite(signedAt)) throw refused("x-amz-date is not a date such as 20260101T120000Z");
  if (now - signedAt > MAX_CLOCK_SKEW_MS) throw refused("x-amz-date is more than 15 minutes old (sign a fresh request)", "expired");
  if (signedAt - now > MAX_CLOCK_SKEW_MS) throw refused("x-amz-date is more than 15 minutes ahead of this server's clock", "not_yet_valid");
  if (!headers.get("x-amz-date")!.startsWith(scopeDate!)) throw refused("the credential scope's date is not x-amz-date's");

  const forward: Record<string, string> = {};
  for (const name of [...signedHeaders, "authorization", "x-amz-security-token"]) {
    const value = headers.get(name);
    // fetch sets Host and Content-Length itself, to the values just checked.
    if (value !== undefined && name !== "host" && name !== "content-length") forward[name] = value;
  }
  return { forward, signedAt };
}

/** The caller's headers by lower-case name; refuses anything odd rather than guess which copy STS would read. */
function readHeaders(raw: unknown): Map<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw refused("headers must be an object of strings");
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw refused(`at most ${MAX_HEADERS} headers`);
  const headers = new Map<string, string>();
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) throw refused(`${JSON.stringify(name.slice(0, 64))} is not a header name`);
    if (typeof value !== "string" || value.length > MAX_HEADER_VALUE || !HEADER_VALUE.test(value)) {
      throw refused(`the header ${name} must be printable ASCII of at most ${MAX_HEADER_VALUE} characters`);
    }
    const lower = name.toLowerCase();
    if (headers.has(lower)) throw refused(`the header ${lower} is given twice`);
    headers.set(lower, value);
  }
  return headers;
}

/** `sts.eu-west-1.amazonaws.com` → eu-west-1; the global endpoint signs for us-east-1; anything else (a stand-in, a VPC endpoint): unknown. */
function regionOfStsHost(hostname: string): string | undefined {
  if (hostname === "sts.amazonaws.com") return "us-east-1";
  return /^sts(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(hostname)?.[1];
}

async function readCapped(res: Response, limit: number): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  return new TextDecoder().decode(bytes.byteLength > limit ? bytes.subarray(0, limit) : bytes);
}

// ---------------------------------------------------------------------------------------------
// STS's answers (query protocol, XML).

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The text of the one `<name>` element inside `xml`, unescaped; undefined when absent or repeated. */
function element(xml: string, name: string): string | undefined {
  const matches = [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))];
  if (matches.length !== 1) return undefined;
  return matches[0]![1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => XML_ENTITIES[e]!);
}

function identityFromAnswer(xml: string): Omit<AwsIdentity, "signedAt"> {
  const result = /<GetCallerIdentityResponse[\s>][\s\S]*<GetCallerIdentityResult>([\s\S]*)<\/GetCallerIdentityResult>/.exec(xml)?.[1];
  const arn = result && element(result, "Arn");
  const userId = result && element(result, "UserId");
  const account = result && element(result, "Account");
  if (!arn || !userId || !account) throw stsUnavailable("its answer is not a GetCallerIdentity result");
  const parsed = parseCallerArn(arn);
  if (parsed.account !== account) throw stsUnavailable("its answer names two different accounts");
  return { arn, account, userId, principal: parsed.principal };
}

function stsError(xml: string): { code: string; message: string } | undefined {
  const error = /<Error>([\s\S]*)<\/Error>/.exec(xml)?.[1];
  const code = error && element(error, "Code");
  if (!code) return undefined;
  return { code, message: element(error, "Message") ?? "" };
}

// ---------------------------------------------------------------------------------------------
// ARNs.

const ARN = /^arn:(aws(?:-[a-z]+)*):(iam|sts)::(\d{12}):([^\s]+)$/;
/** IAM names: letters, digits and `+=,.@_-`; paths are `/`-separated runs of printable ASCII. */
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_PATH = /^\/(?:[\x21-\x7e]+\/)*$/;

/**
 * What GetCallerIdentity's ARN says about the caller: an IAM user, or a role session. The account
 * root and federated users are refused: no agent should run as either.
 */
export function parseCallerArn(arn: string): { account: string; principal: AwsPrincipal } {
  const m = ARN.exec(arn);
  if (!m) throw refused(`${JSON.stringify(arn.slice(0, 200))} is not an IAM or STS ARN`);
  const [, , service, account, resource] = m as unknown as [string, string, string, string, string];
  const slash = resource.indexOf("/");
  const type = slash < 0 ? resource : resource.slice(0, slash);
  const rest = slash < 0 ? "" : resource.slice(slash + 1);

  if (service === "sts" && type === "assumed-role") {
    const [role, session, ...extra] = rest.split("/");
    if (!role || !session || extra.length > 0 || !IAM_NAME.test(role) || !IAM_NAME.test(session)) {
      throw refused(`${JSON.stringify(arn)} is not an assumed-role ARN (…:assumed-role/ROLE/SESSION)`);
    }
    return { account, principal: { kind: "assumed-role", name: role, session } };
  }
  if (service === "iam" && (type === "user" || type === "role")) {
    const cut = rest.lastIndexOf("/");
    const name = rest.slice(cut + 1);
    const path = `/${rest.slice(0, cut + 1)}`;
    if (!IAM_NAME.test(name) || !IAM_PATH.test(path)) throw refused(`${JSON.stringify(arn)} is not an IAM ${type} ARN`);
    return { account, principal: { kind: type, name, ...(path !== "/" ? { path } : {}) } };
  }
  if (resource === "root") throw refused("the account's root user may not act as an agent; use an IAM role", "no_matching_identity");
  throw refused(`${JSON.stringify(arn.slice(0, 200))} is neither an IAM user nor a role session`, "no_matching_identity");
}

// ---------------------------------------------------------------------------------------------
// Configuration.

/** Where we ask STS (regional by default) and the server id agents must sign; refuses when no server id is configured. */
export function awsIdentitySettings(config: Env = env()): { serverId: string; stsEndpoint: string } {
  const serverId = config.COUNTERSIGN_SERVER_ID ?? (config.COUNTERSIGN_PUBLIC_URL ? new URL(config.COUNTERSIGN_PUBLIC_URL).host : undefined);
  if (!serverId) {
    throw new CountersignError("invalid_request", "AWS IAM identities are not enabled on this server: it needs COUNTERSIGN_SERVER_ID (or COUNTERSIGN_PUBLIC_URL).", {
      issues: [{ path: "subject_token_type", message: "unsupported" }],
    });
  }
  const stsEndpoint = config.COUNTERSIGN_AWS_STS_ENDPOINT ?? `https://sts.${config.COUNTERSIGN_AWS_REGION ?? DEFAULT_AWS_REGION}.amazonaws.com/`;
  return { serverId, stsEndpoint };
}

export const DEFAULT_AWS_REGION = "us-east-1";
