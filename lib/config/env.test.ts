import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("fills in the defaults of an empty environment", () => {
    const config = parseEnv({});
    expect(config).toMatchObject({ NODE_ENV: "development", COUNTERSIGN_POLICY: "./policy.yaml", PORT: 3000 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.AUTH_SECRET).toBeUndefined();
  });

  it("names every bad variable in one error", () => {
    let error: unknown;
    try {
      parseEnv({ DATABASE_URL: "mysql://db", AUTH_SECRET: "short", AUTH_GITHUB_ENTERPRISE_URL: "nope", COUNTERSIGN_DB_POOL: "0" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvError);
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe("Invalid Countersign configuration:");
    expect(lines.slice(1).map((l) => l.trim().split(":")[0]).sort()).toEqual([
      "AUTH_GITHUB_ENTERPRISE_URL",
      "AUTH_SECRET",
      "COUNTERSIGN_DB_POOL",
      "DATABASE_URL",
    ]);
    expect((error as Error).message).toContain("  AUTH_SECRET: must be at least 32 characters (openssl rand -base64 33)");
  });

  it("takes an STS endpoint over https, or http only on loopback (agents' signed requests travel to it)", () => {
    expect(parseEnv({ COUNTERSIGN_AWS_STS_ENDPOINT: "https://sts.eu-west-1.amazonaws.com/" }).COUNTERSIGN_AWS_STS_ENDPOINT).toBe("https://sts.eu-west-1.amazonaws.com/");
    expect(parseEnv({ COUNTERSIGN_AWS_STS_ENDPOINT: "http://127.0.0.1:4566/" }).COUNTERSIGN_AWS_STS_ENDPOINT).toBe("http://127.0.0.1:4566/");
    for (const bad of ["http://sts.us-east-1.amazonaws.com/", "http://10.0.0.8/", "ftp://127.0.0.1/"]) {
      expect(() => parseEnv({ COUNTERSIGN_AWS_STS_ENDPOINT: bad }), bad).toThrow(/COUNTERSIGN_AWS_STS_ENDPOINT/);
    }
  });

  it("reads an empty sign-in variable as unset", () => {
    expect(parseEnv({ AUTH_SECRET: "", AUTH_OKTA_ISSUER: "", AUTH_GITHUB_ORGS: "" })).toMatchObject({
      AUTH_SECRET: undefined,
      AUTH_OKTA_ISSUER: undefined,
      AUTH_GITHUB_ORGS: undefined,
    });
  });
});
