import { describe, expect, it } from "vitest";
import { awsCredentialsFromEnv } from "./aws-option.js";
import { UsageError } from "./exit-codes.js";

const KEYS = { AWS_ACCESS_KEY_ID: "AKIAOPTIONEXAMPLE001", AWS_SECRET_ACCESS_KEY: "optionSecret/0123456789" };
const signedBy = async (env: NodeJS.ProcessEnv) => {
  const saved = { ...process.env };
  Object.assign(process.env, KEYS);
  delete process.env.AWS_PROFILE;
  try {
    const token = await awsCredentialsFromEnv(env).subjectToken();
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { url: string; headers: Record<string, string> };
  } finally {
    for (const k of Object.keys(KEYS)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
};

describe("--aws from the environment", () => {
  it("server id: the host of COUNTERSIGN_URL unless COUNTERSIGN_SERVER_ID says otherwise; region and endpoint as the server's", async () => {
    const a = await signedBy({ COUNTERSIGN_URL: "https://countersign.acme.com:8443/" });
    expect(a.headers["x-countersign-server-id"]).toBe("countersign.acme.com:8443");
    expect(a.url).toBe("https://sts.us-east-1.amazonaws.com/");
    const b = await signedBy({ COUNTERSIGN_URL: "http://10.0.0.5:3000", COUNTERSIGN_SERVER_ID: "countersign.acme.com", COUNTERSIGN_AWS_REGION: "eu-central-1" });
    expect([b.headers["x-countersign-server-id"], b.url]).toEqual(["countersign.acme.com", "https://sts.eu-central-1.amazonaws.com/"]);
    const c = await signedBy({ COUNTERSIGN_URL: "http://cs", COUNTERSIGN_AWS_STS_ENDPOINT: "https://vpce-1.sts.eu-central-1.vpce.amazonaws.com/" });
    expect(c.url).toBe("https://vpce-1.sts.eu-central-1.vpce.amazonaws.com/");
  });

  it("a usage error without COUNTERSIGN_URL or with a bad URL", () => {
    expect(() => awsCredentialsFromEnv({})).toThrow(UsageError);
    expect(() => awsCredentialsFromEnv({ COUNTERSIGN_URL: "not a url" })).toThrow(/not a URL/);
    expect(() => awsCredentialsFromEnv({ COUNTERSIGN_URL: "http://cs", COUNTERSIGN_AWS_STS_ENDPOINT: "sts" })).toThrow(/COUNTERSIGN_AWS_STS_ENDPOINT/);
  });
});

describe("the gate's --aws flag", () => {
  it("names the AWS provider, and is exclusive with the OIDC flags", async () => {
    const { workloadCredentials } = await import("./credential-options.js");
    const saved = process.env.COUNTERSIGN_URL;
    process.env.COUNTERSIGN_URL = "https://countersign.acme.com";
    try {
      expect(workloadCredentials({ aws: true })).toMatchObject({ kind: "aws", subjectTokenType: "urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity" });
      expect(() => workloadCredentials({ aws: true, oidcTokenFile: "/var/run/token" })).toThrow(UsageError);
      expect(workloadCredentials({})).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.COUNTERSIGN_URL;
      else process.env.COUNTERSIGN_URL = saved;
    }
  });
});
