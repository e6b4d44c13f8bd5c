// A local stand-in for AWS STS's GetCallerIdentity: it verifies the SigV4 signature of what it
// receives the way STS does (computed here by hand from AWS's documented algorithm, independent of
// the @smithy signer the SDK uses), with its own test credentials, and answers with STS's XML —
// the identity of the key's owner, or STS's error for a bad signature, an unknown key, an expired
// session token or a stale date. Every request it receives is recorded, so a test can show that a
// request refused upstream never reached it.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type StandInKey = {
  secretAccessKey: string;
  /** Temporary credentials (ASIA…) come with a session token that must be sent. */
  sessionToken?: string;
  /** The session token has expired: STS answers ExpiredToken. */
  expired?: boolean;
  arn: string;
  userId: string;
};

export type ReceivedRequest = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

export type StsStandIn = {
  url: string;
  region: string;
  received: ReceivedRequest[];
  /** Make the next answers an outage (HTTP 500 or 503 with STS's error XML) or garbage, until reset with undefined. */
  failWith(mode: "internal-error" | "throttled" | "garbage" | undefined): void;
  close(): Promise<void>;
};

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const MAX_SKEW_MS = 15 * 60 * 1000;

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

function errorXml(type: "Sender" | "Receiver", code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n` +
    `    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${crypto.randomUUID()}</RequestId>\n</ErrorResponse>\n`
  );
}

function identityXml(key: StandInKey): string {
  const account = key.arn.split(":")[4]!;
  return (
    `<GetCallerIdentityResponse xmlns="${XMLNS}">\n  <GetCallerIdentityResult>\n` +
    `    <Arn>${xmlEscape(key.arn)}</Arn>\n    <UserId>${xmlEscape(key.userId)}</UserId>\n    <Account>${account}</Account>\n` +
    `  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${crypto.randomUUID()}</RequestId>\n  </ResponseMetadata>\n` +
    `</GetCallerIdentityResponse>\n`
  );
}

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX upper-case). */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type Verdict = { status: number; body: string };

/** STS's checks of one request, in STS's order, by the documented SigV4 algorithm. */
function judge(req: ReceivedRequest, keys: Record<string, StandInKey>, region: string, now: number): Verdict {
  const sender = (status: number, code: string, message: string): Verdict => ({ status, body: errorXml("Sender", code, message) });
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(",") : v;
  };

  const authorization = header("authorization");
  if (!authorization) return sender(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!m) return sender(400, "IncompleteSignature", `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`);
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = m as unknown as string[];
  const amzDate = header("x-amz-date");
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return sender(400, "IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (scopeRegion !== region) return sender(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region.");
  if (scopeService !== "sts") return sender(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'.");

  const key = keys[accessKeyId!];
  if (!key) return sender(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  if (key.sessionToken !== undefined && header("x-amz-security-token") !== key.sessionToken) {
    return sender(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  }
  if (key.expired) return sender(403, "ExpiredToken", "The security token included in the request is expired");

  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (now - signedAt > MAX_SKEW_MS) {
    return sender(403, "SignatureDoesNotMatch", `Signature expired: ${amzDate} is now earlier than ${stamp(now - MAX_SKEW_MS)} (${stamp(now)} - 15 min.)`);
  }
  if (signedAt - now > MAX_SKEW_MS) {
    return sender(403, "SignatureDoesNotMatch", `Signature not yet current: ${amzDate} is still later than ${stamp(now + MAX_SKEW_MS)} (${stamp(now)} + 15 min.)`);
  }

  const signedHeaders = signedHeaderList!.split(";");
  if (!signedHeaders.includes("host")) return sender(403, "SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const bodyHash = sha256Hex(req.body);
  const declaredHash = header("x-amz-content-sha256");
  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    return sender(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const url = new URL(req.url, "http://stand-in");
  const query = [...url.searchParams].map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).sort().join("&");
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(header(name) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalPath = url.pathname.split("/").map((seg) => uriEncode(decodeURIComponent(seg))).join("/");
  const canonicalRequest = [req.method, canonicalPath, query, canonicalHeaders, signedHeaderList, bodyHash].join("\n");
  const scope = `${scopeDate}/${scopeRegion}/sts/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, scopeDate!), scopeRegion!), "sts"), "aws4_request");
  const expected = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, "hex"))) {
    return sender(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }

  const form = new URLSearchParams(req.method === "POST" ? req.body : url.search);
  if (form.get("Action") !== "GetCallerIdentity") return sender(400, "InvalidAction", `Could not find operation ${form.get("Action") ?? ""} for version ${form.get("Version") ?? ""}`);
  return { status: 200, body: identityXml(key) };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Starts the stand-in on 127.0.0.1 with these access keys (access key id → key). */
export async function startStsStandIn(keys: Record<string, StandInKey>, region = "us-east-1"): Promise<StsStandIn> {
  const received: ReceivedRequest[] = [];
  let failure: "internal-error" | "throttled" | "garbage" | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(request);
      let verdict: Verdict;
      if (failure === "internal-error") verdict = { status: 500, body: errorXml("Receiver", "InternalFailure", "The request processing has failed because of an unknown error.") };
      else if (failure === "throttled") verdict = { status: 400, body: errorXml("Sender", "Throttling", "Rate exceeded") };
      else if (failure === "garbage") verdict = { status: 200, body: "<html>captive portal</html>" };
      else verdict = judge(request, keys, region, Date.now());
      res.writeHead(verdict.status, { "content-type": "text/xml", "x-amzn-requestid": crypto.randomUUID() });
      res.end(verdict.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    region,
    received,
    failWith: (mode) => {
      failure = mode;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
