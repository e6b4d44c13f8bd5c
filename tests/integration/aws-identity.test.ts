// AWS IAM workload identity end to end, through the agent API's routing table: the SDK signs
// sts:GetCallerIdentity with test credentials, /api/v1/token forwards it to a local STS stand-in
// that verifies SigV4 itself (tests/support/sts-stand-in.ts), maps the ARN with aws_identities and
// issues a short-lived agent token that files a request carrying the caller's ARN. Every forged,
// replayed, stale, misdirected or unmapped signature is 401 with the failing check, filing nothing;
// STS down is 503. And the gate, a real process: `countersign run --aws` with the standard AWS
// credential chain reading the environment. (The checks one by one: lib/auth/aws-identity.test.ts.)
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getRequestListener } from "@hono/node-server";
import { desc, eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { agentApi } from "@/app/api/_lib/agent-api";
import { GET as jwks } from "@/app/.well-known/jwks.json/route";
import { getDb } from "@/db/client";
import { requests } from "@/db/schema";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { createAgent } from "@/lib/agents/registry";
import { resetEnvCache } from "@/lib/config/env";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { requestView } from "@/lib/requests/schema";
import { Countersign } from "@/sdk/src/client";
import { awsCredentials, signGetCallerIdentity, type AwsCredentialValues } from "@/sdk/src/credentials/aws";
import { startStsStandIn, type StsStandIn } from "../support/sts-stand-in";
import { apiRequest, callAgentApi, requestBody, TEST_ACTOR } from "../support/fixtures";

type Json = Record<string, unknown>;
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const AWS_TYPE = "urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity";
const SERVER_ID = "countersign.e2e.test";
const REGION = "us-east-1";

const DEPLOY: AwsCredentialValues = { accessKeyId: "ASIAE2EDEPLOY0000001", secretAccessKey: "e2eDeploySecret/0123456789", sessionToken: "e2e-deploy-session" };
const STRANGER: AwsCredentialValues = { accessKeyId: "ASIAE2ESTRANGER00001", secretAccessKey: "e2eStrangerSecret/0123", sessionToken: "e2e-stranger-session" };
const GHOST: AwsCredentialValues = { accessKeyId: "ASIAE2EGHOST00000001", secretAccessKey: "e2eGhostSecret/0123456", sessionToken: "e2e-ghost-session" };

let sts: StsStandIn;
let agentName: string;
let agentId: string;
const savedEnv: Record<string, string | undefined> = {};

const sign = (credentials: AwsCredentialValues, over: Partial<{ serverId: string; stsEndpoint: string; date: Date }> = {}) =>
  signGetCallerIdentity({ credentials, region: REGION, serverId: SERVER_ID, stsEndpoint: sts.url, ...over });
const packed = (signed: unknown) => Buffer.from(JSON.stringify(signed), "utf8").toString("base64url");

async function exchange(subjectToken: string): Promise<{ status: number; body: Json; retryAfter: string | null }> {
  const res = await callAgentApi(
    new Request("http://countersign.test/api/v1/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: AWS_TYPE }).toString(),
    }),
  );
  return { status: res.status, body: (await res.json()) as Json, retryAfter: res.headers.get("retry-after") };
}

async function expectRefused(subjectToken: string, check: string): Promise<Json> {
  const before = await requestsFiledBy(agentId);
  const { status, body } = await exchange(subjectToken);
  expect({ status, error: body.error, code: body.code, check: body.check }).toEqual({ status: 401, error: "invalid_token", code: "invalid_token", check });
  expect(body.access_token).toBeUndefined();
  expect(await requestsFiledBy(agentId)).toBe(before);
  return body;
}

async function requestsFiledBy(id: string): Promise<number> {
  return (await (await getDb()).select({ id: requests.id }).from(requests).where(eq(requests.agentId, id))).length;
}

beforeAll(async () => {
  for (const k of ["COUNTERSIGN_SERVER_ID", "COUNTERSIGN_AWS_STS_ENDPOINT"]) savedEnv[k] = process.env[k];
  sts = await startStsStandIn(
    {
      [DEPLOY.accessKeyId]: {
        secretAccessKey: DEPLOY.secretAccessKey,
        sessionToken: DEPLOY.sessionToken!,
        arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/lambda-7",
        userId: "AROAE2EDEPLOY:lambda-7",
      },
      [STRANGER.accessKeyId]: {
        secretAccessKey: STRANGER.secretAccessKey,
        sessionToken: STRANGER.sessionToken!,
        arn: "arn:aws:sts::999999999999:assumed-role/deploy-prod/intruder",
        userId: "AROAE2ESTRANGER:intruder",
      },
      [GHOST.accessKeyId]: {
        secretAccessKey: GHOST.secretAccessKey,
        sessionToken: GHOST.sessionToken!,
        arn: "arn:aws:sts::123456789012:assumed-role/ghost/x1",
        userId: "AROAE2EGHOST:x1",
      },
    },
    REGION,
  );
  process.env.COUNTERSIGN_SERVER_ID = SERVER_ID;
  process.env.COUNTERSIGN_AWS_STS_ENDPOINT = sts.url;
  resetEnvCache();
  agentName = `aws-deploy-${randomUUID().slice(0, 8)}`;
  agentId = (await createAgent({ name: agentName, owner: "owner@acme.test" }, TEST_ACTOR)).agent.id;
  const file = path.join(process.cwd(), "tests", "fixtures", "policy.yaml");
  setActivePolicyForTests(
    parsePolicy(
      `${fs.readFileSync(file, "utf8")}
aws_identities:
  - arn: "arn:aws:sts::123456789012:assumed-role/deploy-*/*"
    agent: ${agentName}
  - { account: "123456789012", role: ghost, agent: not-registered-agent }
`,
      file,
    ),
  );
});

beforeEach(() => {
  sts.received.length = 0;
  sts.failWith(undefined);
  resetRateLimitForTests();
});

afterAll(async () => {
  await sts.close();
  setActivePolicyForTests(null);
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
});

describe("POST /api/v1/token with a signed GetCallerIdentity", () => {
  it("exchanges it for a short-lived agent token; the request it files carries the caller's ARN", async () => {
    const { status, body } = await exchange(packed(await sign(DEPLOY)));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", issued_token_type: "urn:ietf:params:oauth:token-type:access_token" });
    expect(body.expires_in).toBeLessThanOrEqual(15 * 60);
    expect(decodeJwt(body.access_token as string).sub).toBe(agentId);
    expect(sts.received).toHaveLength(1);

    const filed = await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: body.access_token as string, body: requestBody() }));
    expect(filed.status).toBe(201);
    const view = requestView.parse(await filed.json());
    expect(view.workload_identity).toEqual({ kind: "aws", arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/lambda-7", account: "123456789012" });
  });

  it("the agent token never outlives the signed request's 15 minutes", async () => {
    const { status, body } = await exchange(packed(await sign(DEPLOY, { date: new Date(Date.now() - 12 * 60_000) })));
    expect(status).toBe(200);
    expect(body.expires_in).toBeLessThanOrEqual(3 * 60 + 1);
  });

  it("the SDK does it all: awsCredentials → exchange → file a request → read it back", async () => {
    const cs = new Countersign({
      url: "http://countersign.test/",
      credentials: awsCredentials({ serverId: SERVER_ID, region: REGION, stsEndpoint: sts.url, credentials: DEPLOY }),
      fetch: (input, init) => callAgentApi(new Request(input as string | URL, init)),
      retryFor: 0,
    });
    const filed = await cs.requestApproval(requestBody());
    const read = await cs.getRequest(filed.id);
    // (the SDK's RequestView type does not list workload_identity yet; the JSON carries it)
    expect(read).toMatchObject({ id: filed.id, workload_identity: { kind: "aws", account: "123456789012" } });
  });
});

describe("refused: 401 invalid_token naming the check, nothing filed", () => {
  it("a wrong secret key or a tampered signed header (check: signature, by STS)", async () => {
    await expectRefused(packed(await sign({ ...DEPLOY, secretAccessKey: "wrong" })), "signature");
    const signed = await sign(DEPLOY);
    await expectRefused(packed({ ...signed, headers: { ...signed.headers, "content-type": "application/x-www-form-urlencoded" } }), "signature");
    expect(sts.received).toHaveLength(2);
  });

  it("made for another server (check: audience), and with the header rewritten to ours (check: signature)", async () => {
    const elsewhere = await sign(DEPLOY, { serverId: "vault.acme.test" });
    await expectRefused(packed(elsewhere), "audience");
    expect(sts.received).toHaveLength(0);
    await expectRefused(packed({ ...elsewhere, headers: { ...elsewhere.headers, "x-countersign-server-id": SERVER_ID } }), "signature");
  });

  it("aimed at another host (check: issuer): nothing is forwarded anywhere", async () => {
    await expectRefused(packed(await sign(DEPLOY, { stsEndpoint: "https://sts.attacker.test/" })), "issuer");
    expect(sts.received).toHaveLength(0);
  });

  it("stale (check: expired), and not a signed request at all (check: malformed)", async () => {
    await expectRefused(packed(await sign(DEPLOY, { date: new Date(Date.now() - 20 * 60_000) })), "expired");
    await expectRefused("not-base64-json!!", "malformed");
    await expectRefused(packed({ method: "POST" }), "malformed");
    expect(sts.received).toHaveLength(0);
  });

  it("an ARN no aws_identities entry maps (check: no_matching_identity)", async () => {
    const body = await expectRefused(packed(await sign(STRANGER)), "no_matching_identity");
    expect(body.error_description).toContain("arn:aws:sts::999999999999:assumed-role/deploy-prod/intruder");
  });

  it("an ARN mapped to an agent nobody registered (check: agent)", async () => {
    const body = await expectRefused(packed(await sign(GHOST)), "agent");
    expect(body.error_description).toContain("not-registered-agent");
  });

  it("odd bytes in every field of the signed request: a 4xx, never a 5xx", async () => {
    const signed = await sign(DEPLOY);
    const odd = ["", "\u0000", "é🙂", "\r\nx-evil: 1", "a".repeat(9000), "../../etc/passwd"];
    for (const value of odd) {
      for (const field of ["method", "url", "body"] as const) {
        const { status } = await exchange(packed({ ...signed, [field]: value }));
        expect(status, `${field}=${JSON.stringify(value.slice(0, 20))}`).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
      }
      for (const name of Object.keys(signed.headers)) {
        const { status } = await exchange(packed({ ...signed, headers: { ...signed.headers, [name]: value } }));
        expect(status, `${name}=${JSON.stringify(value.slice(0, 20))}`).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
      }
    }
  });
});

describe("STS unavailable", () => {
  it("is 503 temporarily_unavailable with Retry-After, not a refusal", async () => {
    sts.failWith("internal-error");
    const { status, body, retryAfter } = await exchange(packed(await sign(DEPLOY)));
    expect({ status, error: body.error, code: body.code, retryAfter }).toEqual({ status: 503, error: "temporarily_unavailable", code: "unavailable", retryAfter: "2" });
  });
});

describe("the gate: countersign run --aws, a real process with the standard AWS credential chain", () => {
  it("signs with the environment's credentials, exchanges, files, is auto-approved, runs the command and reports", async () => {
    // The agent API (and the JWKS the gate verifies grants with) on a real port of this process.
    const listener = getRequestListener(agentApi.fetch, { overrideGlobalObjects: false });
    const server = http.createServer((req, res) => {
      if (req.url === "/.well-known/jwks.json") {
        void jwks().then(async (r) => res.writeHead(r.status, Object.fromEntries(r.headers)).end(Buffer.from(await r.arrayBuffer())));
      } else void listener(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // The gate's default server id is its COUNTERSIGN_URL's host: configure the server with that.
    process.env.COUNTERSIGN_SERVER_ID = new URL(url).host;
    resetEnvCache();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-aws-gate-"));
    const marker = path.join(home, "ran");
    try {
      const before = await requestsFiledBy(agentId);
      const env: NodeJS.ProcessEnv = {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        HOME: home, // no ~/.aws to read: the chain takes the environment's keys
        COUNTERSIGN_URL: url,
        COUNTERSIGN_AWS_STS_ENDPOINT: sts.url,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: DEPLOY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEPLOY.secretAccessKey,
        AWS_SESSION_TOKEN: DEPLOY.sessionToken,
        AWS_EC2_METADATA_DISABLED: "true",
      };
      const run = await promisify(execFile)(
        process.execPath,
        [path.resolve("sdk/bin/countersign.js"), "run", "--aws", "--action", "svc.config.read", "--env", "staging", "--resource", "svc/payments-api",
          "--intent", "Read the payments config", "--json", "--", process.execPath, "-e", `require("fs").writeFileSync(${JSON.stringify(marker)}, "yes")`],
        { env, timeout: 60_000 },
      ).catch((err: { code: number; stdout: string; stderr: string }) => err);
      expect(run.stderr, run.stderr).not.toContain('"error"');
      expect(fs.readFileSync(marker, "utf8")).toBe("yes");
      expect(await requestsFiledBy(agentId)).toBe(before + 1);
      // One signed GetCallerIdentity reached STS, carrying the environment's session token.
      expect(sts.received.map((r) => r.headers["x-amz-security-token"])).toEqual([DEPLOY.sessionToken]);
      const [filed] = await (await getDb()).select({ workload: requests.workloadIdentity }).from(requests).where(eq(requests.agentId, agentId)).orderBy(desc(requests.createdAt)).limit(1);
      expect(filed?.workload).toMatchObject({ kind: "aws", arn: "arn:aws:sts::123456789012:assumed-role/deploy-prod/lambda-7" });

      // Without AWS credentials the gate stops before anything is filed.
      const bare = await promisify(execFile)(
        process.execPath,
        [path.resolve("sdk/bin/countersign.js"), "run", "--aws", "--action", "svc.config.read", "--env", "staging", "--intent", "x", "--", process.execPath, "-e", "0"],
        { env: { ...env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_SESSION_TOKEN: "" }, timeout: 60_000 },
      ).then(() => ({ code: 0, stderr: "" }), (err: { code: number; stderr: string }) => err);
      expect(bare.code).not.toBe(0);
      expect(bare.stderr).toContain("Could not load credentials");
      expect(await requestsFiledBy(agentId)).toBe(before + 1);
    } finally {
      process.env.COUNTERSIGN_SERVER_ID = SERVER_ID;
      resetEnvCache();
      fs.rmSync(home, { recursive: true, force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
