// The AWS signer without a server: it reads the standard credential chain (here: the environment),
// signs GetCallerIdentity for the region's STS with the server id in a signed header, and packs the
// signed request as the subject token. That STS (a stand-in checking SigV4 by hand) accepts what it
// signs is shown in lib/auth/aws-identity.test.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { AWS_SUBJECT_TOKEN_TYPE, awsCredentials, signGetCallerIdentity, type SignedGetCallerIdentity } from "./aws.js";

const KEYS = { accessKeyId: "ASIAENVEXAMPLE000001", secretAccessKey: "envSecretForTests/0123456789", sessionToken: "env-session-token" };

afterEach(() => {
  vi.unstubAllEnvs();
});

const decode = (token: string) => JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as SignedGetCallerIdentity;
const signedHeadersOf = (signed: SignedGetCallerIdentity) => /SignedHeaders=([^,]+)/.exec(signed.headers.authorization!)![1]!.split(";");

describe("awsCredentials", () => {
  it("signs with the credentials of the standard chain, for the region's STS, binding the server id", async () => {
    vi.stubEnv("AWS_PROFILE", undefined);
    vi.stubEnv("AWS_ACCESS_KEY_ID", KEYS.accessKeyId);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", KEYS.secretAccessKey);
    vi.stubEnv("AWS_SESSION_TOKEN", KEYS.sessionToken);
    const provider = awsCredentials({ serverId: "countersign.acme.com", region: "eu-west-1" });
    expect(provider.subjectTokenType).toBe(AWS_SUBJECT_TOKEN_TYPE);
    const signed = decode(await provider.subjectToken());
    expect(signed.method).toBe("POST");
    expect(signed.url).toBe("https://sts.eu-west-1.amazonaws.com/");
    expect(signed.body).toBe("Action=GetCallerIdentity&Version=2011-06-15");
    expect(signed.headers.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(signed.headers["x-countersign-server-id"]).toBe("countersign.acme.com");
    expect(signed.headers["x-amz-security-token"]).toBe(KEYS.sessionToken);
    expect(signed.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/\\d{8}/eu-west-1/sts/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`),
    );
    expect(signedHeadersOf(signed)).toEqual(expect.arrayContaining(["host", "x-amz-date", "x-countersign-server-id", "content-type"]));
    // The secret itself is never part of what is sent.
    expect(JSON.stringify(signed)).not.toContain(KEYS.secretAccessKey);
  });

  it("takes AWS_REGION when no region is given, and a custom STS endpoint (port kept in Host)", async () => {
    vi.stubEnv("AWS_REGION", "ap-southeast-2");
    const signed = decode(await awsCredentials({ serverId: "cs", credentials: KEYS }).subjectToken());
    expect(signed.url).toBe("https://sts.ap-southeast-2.amazonaws.com/");
    const local = decode(await awsCredentials({ serverId: "cs", region: "us-east-1", stsEndpoint: "http://127.0.0.1:4566/", credentials: async () => KEYS }).subjectToken());
    expect([local.url, local.headers.host]).toEqual(["http://127.0.0.1:4566/", "127.0.0.1:4566"]);
  });

  it("the signature covers the server id and the date: another server id or time, another signature", async () => {
    const at = new Date("2026-11-30T12:00:00Z");
    const base = { credentials: KEYS, region: "us-east-1", stsEndpoint: "https://sts.us-east-1.amazonaws.com/", date: at };
    const a = await signGetCallerIdentity({ ...base, serverId: "a.example" });
    const again = await signGetCallerIdentity({ ...base, serverId: "a.example" });
    const b = await signGetCallerIdentity({ ...base, serverId: "b.example" });
    const later = await signGetCallerIdentity({ ...base, serverId: "a.example", date: new Date(at.getTime() + 1000) });
    expect(a.headers["x-amz-date"]).toBe("20261130T120000Z");
    expect(again.headers.authorization).toBe(a.headers.authorization);
    expect(b.headers.authorization).not.toBe(a.headers.authorization);
    expect(later.headers.authorization).not.toBe(a.headers.authorization);
  });
});
