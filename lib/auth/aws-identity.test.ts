// verifyAwsIdentity against a local STS stand-in that checks SigV4 itself (tests/support/sts-stand-in.ts):
// requests signed by the SDK's signer with test credentials are accepted and mapped; tampered,
// replayed-elsewhere, stale, misdirected and malformed ones are refused with a typed 4xx — and those
// the server can judge alone never reach STS at all. STS down or answering nonsense → 503.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CountersignError } from "@/lib/errors";
import { agentForAwsCaller } from "@/lib/policy/aws-identities";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { signGetCallerIdentity, type AwsCredentialValues, type SignedGetCallerIdentity } from "@/sdk/src/credentials/aws";
import { startStsStandIn, type StsStandIn } from "@/tests/support/sts-stand-in";
import { awsTokenSubject } from "./aws-token-subject";
import { awsIdentitySettings, parseCallerArn, verifyAwsIdentity, type AwsIdentityOptions, type SignedAwsRequest } from "./aws-identity";
import { parseEnv, resetEnvCache } from "@/lib/config/env";

const SERVER_ID = "countersign.acme.test";
const REGION = "us-east-1";

const DEPLOY: AwsCredentialValues = {
  accessKeyId: "ASIADEPLOYEXAMPLE001",
  secretAccessKey: "deploySecretKeyForTestsOnly/0123456789abcd",
  sessionToken: "FwoGZXIvYXdzEDeploySessionTokenForTests//+==",
};
const BUILDER: AwsCredentialValues = { accessKeyId: "AKIABUILDEREXAMPLE01", secretAccessKey: "builderSecretKeyForTestsOnly/0123456789ab" };
const EXPIRED: AwsCredentialValues = { accessKeyId: "ASIAEXPIREDEXAMPLE01", secretAccessKey: "expiredSecret/0123456789", sessionToken: "expired-session" };
const STRANGER: AwsCredentialValues = { accessKeyId: "ASIASTRANGEREXAMPL01", secretAccessKey: "strangerSecret/0123456789", sessionToken: "stranger-session" };
const ROOT: AwsCredentialValues = { accessKeyId: "AKIAROOTEXAMPLE00001", secretAccessKey: "rootSecret/0123456789" };
const UNKNOWN: AwsCredentialValues = { accessKeyId: "AKIANOBODYEXAMPLE001", secretAccessKey: "nobody/0123456789" };

const policy = parsePolicy(
  `version: 1
roles: { admin: [admins] }
approver_groups: { ops: [ops] }
rules:
  - { name: all, decision: auto_approve, risk: 0 }
aws_identities:
  - arn: "arn:aws:sts::123456789012:assumed-role/deploy-*/*"
    agent: deploy-pipeline
  - arn: "arn:aws:iam::123456789012:user/ci/*"
    agent: ci-builder
`,
  "policy.yaml",
);

let sts: StsStandIn;
let attacker: { url: string; hits: number; close: () => Promise<void> };

beforeAll(async () => {
  sts = await startStsStandIn(
    {
      [DEPLOY.accessKeyId]: {
        secretAccessKey: DEPLOY.secretAccessKey,
        sessionToken: DEPLOY.sessionToken!,
        arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/pipeline-42",
        userId: "AROADEPLOYROLEEXAMPLE:pipeline-42",
      },
      [BUILDER.accessKeyId]: { secretAccessKey: BUILDER.secretAccessKey, arn: "arn:aws:iam::123456789012:user/ci/builder", userId: "AIDABUILDEREXAMPLE01" },
      [EXPIRED.accessKeyId]: {
        secretAccessKey: EXPIRED.secretAccessKey,
        sessionToken: EXPIRED.sessionToken!,
        expired: true,
        arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/old",
        userId: "AROADEPLOYROLEEXAMPLE:old",
      },
      [STRANGER.accessKeyId]: {
        secretAccessKey: STRANGER.secretAccessKey,
        sessionToken: STRANGER.sessionToken!,
        arn: "arn:aws:sts::999999999999:assumed-role/deploy-prod/intruder",
        userId: "AROASTRANGEREXAMPLE:intruder",
      },
      [ROOT.accessKeyId]: { secretAccessKey: ROOT.secretAccessKey, arn: "arn:aws:iam::123456789012:root", userId: "123456789012" },
    },
    REGION,
  );
  // A host an attacker would like us to forward signed requests to.
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.end("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/deploy-prod/forged</Arn><UserId>x</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  attacker = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get hits() {
      return hits;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});

afterAll(async () => {
  await sts.close();
  await attacker.close();
});

beforeEach(() => {
  sts.received.length = 0;
  sts.failWith(undefined);
});

const options = () => ({ serverId: SERVER_ID, stsEndpoint: sts.url });
const sign = (credentials: AwsCredentialValues, over: Partial<{ serverId: string; stsEndpoint: string; region: string; date: Date }> = {}) =>
  signGetCallerIdentity({ credentials, region: REGION, serverId: SERVER_ID, stsEndpoint: sts.url, ...over });

/** The check a refusal names (the token endpoint answers it as `check`). */
const check = (e: CountersignError) => e.issues[0]?.path;

/** The CountersignError a verification fails with (the test fails if it succeeds or throws anything else). */
async function refusal(signed: unknown, opts: AwsIdentityOptions = options()): Promise<CountersignError> {
  try {
    await verifyAwsIdentity(signed as SignedAwsRequest, opts);
  } catch (err) {
    if (err instanceof CountersignError) return err;
    throw err;
  }
  throw new Error("expected the signed request to be refused");
}

describe("a request signed with valid AWS credentials", () => {
  it("an assumed-role session: STS names it, the policy maps it to its agent", async () => {
    const identity = await verifyAwsIdentity(await sign(DEPLOY), options());
    expect(identity).toEqual({
      arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/pipeline-42",
      account: "123456789012",
      userId: "AROADEPLOYROLEEXAMPLE:pipeline-42",
      principal: { kind: "assumed-role", name: "deploy-prod", session: "pipeline-42" },
      signedAt: expect.any(Date),
    });
    expect(agentForAwsCaller(policy, identity.arn)).toEqual({ agent: "deploy-pipeline", rule: 0 });
    expect(sts.received).toHaveLength(1);
    // What reached STS is what the agent signed: our server id and its session token among the headers.
    expect(sts.received[0]!.headers["x-countersign-server-id"]).toBe(SERVER_ID);
    expect(sts.received[0]!.headers["x-amz-security-token"]).toBe(DEPLOY.sessionToken);
    expect(sts.received[0]!.body).toBe("Action=GetCallerIdentity&Version=2011-06-15");
  });

  it("an IAM user keeps its path", async () => {
    const identity = await verifyAwsIdentity(await sign(BUILDER), options());
    expect(identity.principal).toEqual({ kind: "user", name: "builder", path: "/ci/" });
    expect(agentForAwsCaller(policy, identity.arn)).toEqual({ agent: "ci-builder", rule: 1 });
  });

  it("unsigned headers the caller adds are not forwarded", async () => {
    const signed = await sign(DEPLOY);
    signed.headers["X-Amz-Target"] = "AWSSecurityTokenServiceV20110615.AssumeRole";
    signed.headers["x-forwarded-for"] = "10.0.0.1";
    await verifyAwsIdentity(signed, options());
    expect(sts.received[0]!.headers["x-amz-target"]).toBeUndefined();
    expect(sts.received[0]!.headers["x-forwarded-for"]).toBeUndefined();
  });

  it("an ARN the policy does not map is 401 invalid_token, check no_matching_identity", async () => {
    const identity = await verifyAwsIdentity(await sign(STRANGER), options());
    expect(identity.account).toBe("999999999999");
    let error: unknown;
    try {
      agentForAwsCaller(policy, identity.arn);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CountersignError);
    expect([(error as CountersignError).code, (error as CountersignError).status, check(error as CountersignError)]).toEqual([
      "invalid_token",
      401,
      "no_matching_identity",
    ]);
  });
});

describe("refused by STS (forwarded, the signature does not hold)", () => {
  it("a wrong secret key", async () => {
    const e = await refusal(await sign({ ...DEPLOY, secretAccessKey: "not-the-secret" }));
    expect([e.code, e.status, check(e)]).toEqual(["invalid_token", 401, "signature"]);
    expect(e.message).toContain("SignatureDoesNotMatch");
    expect(sts.received).toHaveLength(1);
  });

  it("a tampered signed header (content type, date by one second)", async () => {
    const signed = await sign(DEPLOY);
    const e1 = await refusal({ ...signed, headers: { ...signed.headers, "content-type": "application/x-www-form-urlencoded" } });
    expect(e1.message).toContain("SignatureDoesNotMatch");
    const date = signed.headers["x-amz-date"]!;
    const later = date.slice(0, -3) + String((Number(date.slice(-3, -1)) + 1) % 60).padStart(2, "0") + "Z";
    const e2 = await refusal({ ...signed, headers: { ...signed.headers, "x-amz-date": later } });
    expect(e2.message).toContain("SignatureDoesNotMatch");
  });

  it("a tampered body that is still GetCallerIdentity (parameters swapped, its signed hash rewritten to match)", async () => {
    const signed = await sign(DEPLOY);
    const body = "Version=2011-06-15&Action=GetCallerIdentity";
    const e = await refusal({ ...signed, body, headers: { ...signed.headers, "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") } });
    expect(e.message).toContain("SignatureDoesNotMatch");
    expect(sts.received).toHaveLength(1);
  });

  it("a request made for another server, with the server id header rewritten to ours (replay)", async () => {
    const signed = await sign(DEPLOY, { serverId: "vault.acme.test" });
    const e = await refusal({ ...signed, headers: { ...signed.headers, "x-countersign-server-id": SERVER_ID } });
    expect(e.message).toContain("SignatureDoesNotMatch");
    expect(sts.received).toHaveLength(1);
  });

  it("an unknown access key, an expired session token, a missing session token", async () => {
    expect((await refusal(await sign(UNKNOWN))).message).toContain("InvalidClientTokenId");
    const expired = await refusal(await sign(EXPIRED));
    expect([expired.message, check(expired)]).toEqual([expect.stringContaining("ExpiredToken"), "expired"]);
    const signed = await sign({ ...DEPLOY, sessionToken: undefined } as AwsCredentialValues);
    expect((await refusal(signed)).message).toContain("InvalidClientTokenId");
  });

  it("the account root user is never an agent", async () => {
    const e = await refusal(await sign(ROOT));
    expect([e.code, check(e), e.message]).toEqual(["invalid_token", "no_matching_identity", expect.stringContaining("root user")]);
  });
});

describe("refused before anything is forwarded", () => {
  const nothingForwarded = () => {
    expect(sts.received).toHaveLength(0);
  };

  it("signed for another server id (a request replayed from another service)", async () => {
    const e = await refusal(await sign(DEPLOY, { serverId: "vault.acme.test" }));
    expect([e.code, e.status, check(e)]).toEqual(["invalid_token", 401, "audience"]);
    expect(e.message).toContain("server id");
    nothingForwarded();
  });

  it("the server id header unsigned, or missing", async () => {
    const signed = await signGetCallerIdentity({ credentials: DEPLOY, region: REGION, serverId: SERVER_ID, stsEndpoint: sts.url });
    // Re-sign without the header in SignedHeaders: strip it from the list as an attacker would.
    const unsigned = {
      ...signed,
      headers: { ...signed.headers, authorization: signed.headers.authorization!.replace(";x-countersign-server-id", "") },
    };
    expect((await refusal(unsigned)).message).toContain("must be signed");
    const missing: SignedGetCallerIdentity = { ...signed, headers: { ...signed.headers } };
    delete missing.headers["x-countersign-server-id"];
    expect((await refusal(missing)).message).toContain("x-countersign-server-id");
    nothingForwarded();
  });

  it("a URL other than our STS endpoint: never forwarded there, nor to STS (SSRF)", async () => {
    const elsewhere = await sign(DEPLOY, { stsEndpoint: attacker.url });
    const e = await refusal(elsewhere);
    expect([e.message, check(e)]).toEqual([expect.stringContaining("only accepts requests signed for"), "issuer"]);
    const withQuery = await sign(DEPLOY);
    expect((await refusal({ ...withQuery, url: `${sts.url}?Action=AssumeRole` })).code).toBe("invalid_token");
    expect((await refusal({ ...withQuery, url: sts.url.replace("http://", "http://user:pw@") })).code).toBe("invalid_token");
    expect((await refusal({ ...withQuery, url: "https://sts.amazonaws.com.evil.test/" })).code).toBe("invalid_token");
    // Our URL, but a Host header signed for the attacker's host.
    expect((await refusal({ ...elsewhere, url: sts.url })).message).toContain("Host");
    expect(attacker.hits).toBe(0);
    nothingForwarded();
  });

  it("a stale or future x-amz-date (more than 15 minutes off)", async () => {
    const stale = await refusal(await sign(DEPLOY, { date: new Date(Date.now() - 16 * 60_000) }));
    expect([stale.message, check(stale)]).toEqual([expect.stringContaining("15 minutes old"), "expired"]);
    const future = await refusal(await sign(DEPLOY, { date: new Date(Date.now() + 16 * 60_000) }));
    expect([future.message, check(future)]).toEqual([expect.stringContaining("15 minutes ahead"), "not_yet_valid"]);
    nothingForwarded();
  });

  it("a body that is not the one whose hash was signed", async () => {
    const signed = await sign(DEPLOY);
    expect((await refusal({ ...signed, body: "Version=2011-06-15&Action=GetCallerIdentity" })).message).toContain("x-amz-content-sha256");
    nothingForwarded();
  });

  it("anything but exactly GetCallerIdentity", async () => {
    const signed = await sign(DEPLOY);
    for (const body of [
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/admin",
      "Action=GetCallerIdentity&Version=2011-06-15&Action=AssumeRole",
      "Action=GetCallerIdentity",
      "",
    ]) {
      expect((await refusal({ ...signed, body })).message).toContain("body must be exactly");
    }
    expect((await refusal({ ...signed, method: "GET" })).message).toContain("POST");
    nothingForwarded();
  });

  it("a signature for another region than the STS endpoint we ask", async () => {
    let calls = 0;
    const countingFetch: typeof fetch = async () => {
      calls++;
      return new Response("", { status: 500 });
    };
    const endpoint = "https://sts.eu-west-1.amazonaws.com/";
    const signed = await sign(DEPLOY, { stsEndpoint: endpoint, region: "us-east-1" });
    const e = await refusal(signed, { serverId: SERVER_ID, stsEndpoint: endpoint, fetch: countingFetch });
    expect(e.message).toContain("region us-east-1");
    expect(calls).toBe(0);
  });

  it("a header given twice in different cases, a presigned URL, another signing algorithm", async () => {
    const signed = await sign(DEPLOY);
    expect((await refusal({ ...signed, headers: { ...signed.headers, Host: "evil.test" } })).message).toContain("given twice");
    const { authorization, ...noAuth } = signed.headers;
    expect((await refusal({ ...signed, headers: noAuth })).message).toContain("presigned");
    expect((await refusal({ ...signed, headers: { ...noAuth, authorization: authorization!.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") } })).code).toBe("invalid_token");
    nothingForwarded();
  });
});

describe("STS unavailable: 503, retryable", () => {
  it("answers 500, throttles, or answers something that is not STS", async () => {
    for (const mode of ["internal-error", "throttled", "garbage"] as const) {
      sts.failWith(mode);
      const e = await refusal(await sign(DEPLOY));
      expect([mode, e.code, e.status, e.retryAfterSeconds]).toEqual([mode, "unavailable", 503, 2]);
    }
  });

  it("redirects (not followed: the signature would go where we did not choose) or never answers", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const odd = http.createServer((req, res) => {
      if (req.url === "/redirect/") {
        res.writeHead(307, { location: attacker.url });
        res.end();
      }
      // "/hang/": never answers.
    });
    odd.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => odd.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      for (const [path, reason] of [["/redirect/", "unexpected HTTP 307"], ["/hang/", "no answer within 0.3 s"]] as const) {
        const endpoint = `${base}${path}`;
        const e = await refusal(await sign(DEPLOY, { stsEndpoint: endpoint }), { serverId: SERVER_ID, stsEndpoint: endpoint, timeoutMs: 300 });
        expect([e.code, e.status, e.message]).toEqual(["unavailable", 503, expect.stringContaining(reason)]);
      }
      expect(attacker.hits).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });

  it("cannot be reached", async () => {
    const down = await startStsStandIn({}, REGION);
    await down.close();
    const signed = await sign(DEPLOY, { stsEndpoint: down.url });
    const e = await refusal(signed, { serverId: SERVER_ID, stsEndpoint: down.url });
    expect([e.code, e.status]).toEqual(["unavailable", 503]);
  });
});

describe("odd bytes in every field: a typed 4xx, never a 5xx or a crash", () => {
  const odd = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.constantFrom("\r\nx-evil: 1", "\u0000", "é", "🙂", "a".repeat(20_000), "AWS4-HMAC-SHA256 Credential=", "%00", "../"),
    fc.anything(),
  );
  // A header's name is an object key: always a string, whatever the attacker sent.
  const oddName = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.constantFrom("\r\nx-evil", "\u0000", "é", "🙂", "a".repeat(20_000), "x-amz-date", "Authorization", "HOST", "", " "),
  );
  const fields = ["method", "url", "body", "headers", "header-name", "header-value"] as const;

  it.each(fields)("%s", async (field) => {
    const signed = await sign(DEPLOY);
    const names = Object.keys(signed.headers);
    await fc.assert(
      fc.asyncProperty(field === "header-name" ? oddName : odd, fc.nat({ max: names.length - 1 }), async (value, pick) => {
        let input: unknown;
        if (field === "header-name") input = { ...signed, headers: { ...signed.headers, [value as string]: "1" } };
        else if (field === "header-value") input = { ...signed, headers: { ...signed.headers, [names[pick]!]: value } };
        else input = { ...signed, [field]: value };
        try {
          await verifyAwsIdentity(input as SignedAwsRequest, options());
        } catch (err) {
          expect(err).toBeInstanceOf(CountersignError);
          expect((err as CountersignError).status).toBeGreaterThanOrEqual(400);
          expect((err as CountersignError).status).toBeLessThan(500);
          return;
        }
        // Only an odd value the signature does not cover (an unsigned header, dropped) may still succeed.
        expect(field).toMatch(/^header-/);
      }),
      { numRuns: 60 },
    );
  });

  it("not an object at all", async () => {
    for (const value of [null, "signed", 42, [], { headers: null }]) {
      expect((await refusal(value)).status).toBe(401);
    }
  });
});

describe("as the token endpoint plugs it in (awsTokenSubject)", () => {
  it("verifies with this server's configured id and STS, and maps with the active policy", async () => {
    const saved = { id: process.env.COUNTERSIGN_SERVER_ID, sts: process.env.COUNTERSIGN_AWS_STS_ENDPOINT };
    process.env.COUNTERSIGN_SERVER_ID = SERVER_ID;
    process.env.COUNTERSIGN_AWS_STS_ENDPOINT = sts.url;
    resetEnvCache();
    setActivePolicyForTests(policy);
    try {
      const identity = await awsTokenSubject.verify(await sign(DEPLOY));
      expect(await awsTokenSubject.match(identity.arn)).toEqual({ agent: "deploy-pipeline", rule: 0 });
      expect(await awsTokenSubject.match("arn:aws:sts::999999999999:assumed-role/deploy-prod/x")).toBeNull();
      const e = await awsTokenSubject.verify(await sign(DEPLOY, { serverId: "other" })).catch((err: unknown) => err as CountersignError);
      expect(check(e as CountersignError)).toBe("audience");
    } finally {
      setActivePolicyForTests(null);
      for (const [k, v] of [["COUNTERSIGN_SERVER_ID", saved.id], ["COUNTERSIGN_AWS_STS_ENDPOINT", saved.sts]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvCache();
    }
  });
});

describe("ARNs and configuration", () => {
  it("reads assumed-role, user and role ARNs; refuses root, federated users and junk", () => {
    expect(parseCallerArn("arn:aws-us-gov:sts::123456789012:assumed-role/ops/jane@acme.com")).toEqual({
      account: "123456789012",
      principal: { kind: "assumed-role", name: "ops", session: "jane@acme.com" },
    });
    expect(parseCallerArn("arn:aws:iam::123456789012:role/service-role/deployer").principal).toEqual({
      kind: "role",
      name: "deployer",
      path: "/service-role/",
    });
    for (const arn of [
      "arn:aws:iam::123456789012:root",
      "arn:aws:sts::123456789012:federated-user/bob",
      "arn:aws:sts::123456789012:assumed-role/ops",
      "arn:aws:sts::123456789012:assumed-role/ops/s/extra",
      "arn:aws:s3:::bucket",
      "arn:aws:sts::12345:assumed-role/a/b",
    ]) {
      expect(() => parseCallerArn(arn), arn).toThrow(CountersignError);
    }
  });

  it("server id from COUNTERSIGN_SERVER_ID, else the public URL's host; STS regional by default", () => {
    expect(awsIdentitySettings(parseEnv({ COUNTERSIGN_SERVER_ID: "cs.acme.com", COUNTERSIGN_AWS_REGION: "eu-west-1" }))).toEqual({
      serverId: "cs.acme.com",
      stsEndpoint: "https://sts.eu-west-1.amazonaws.com/",
    });
    expect(awsIdentitySettings(parseEnv({ COUNTERSIGN_PUBLIC_URL: "https://countersign.acme.com/" }))).toEqual({
      serverId: "countersign.acme.com",
      stsEndpoint: "https://sts.us-east-1.amazonaws.com/",
    });
    expect(awsIdentitySettings(parseEnv({ COUNTERSIGN_SERVER_ID: "x1", COUNTERSIGN_AWS_STS_ENDPOINT: "https://sts.vpce.test/" })).stsEndpoint).toBe(
      "https://sts.vpce.test/",
    );
    expect(() => awsIdentitySettings(parseEnv({}))).toThrow(/not enabled on this server: it needs COUNTERSIGN_SERVER_ID/);
    expect(() => parseEnv({ COUNTERSIGN_AWS_REGION: "Europe" })).toThrow(/COUNTERSIGN_AWS_REGION/);
    expect(() => parseEnv({ COUNTERSIGN_SERVER_ID: "bad id\r\n" })).toThrow(/COUNTERSIGN_SERVER_ID/);
  });
});
