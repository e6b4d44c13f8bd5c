// The gate's credential flags: which workload identity each names, and both at once refused.
import { describe, expect, it } from "vitest";
import { DEFAULT_OIDC_AUDIENCE, workloadCredentials } from "./credential-options.js";
import { UsageError } from "./exit-codes.js";

describe("--oidc-token-file and --github-actions-oidc", () => {
  it("names the static key (none), a token file, or GitHub Actions with an audience", async () => {
    expect(workloadCredentials({})).toBeUndefined();
    const file = workloadCredentials({ oidcTokenFile: "/nonexistent/token" })!;
    expect(file.subjectTokenType).toBe("urn:ietf:params:oauth:token-type:jwt");
    await expect(file.subjectToken()).rejects.toThrow(/ENOENT/);
    expect(DEFAULT_OIDC_AUDIENCE).toBe("countersign");
    const gh = workloadCredentials({ githubActionsOidc: true })!;
    expect(gh.kind).toBe("oidc");
    await expect(gh.subjectToken()).rejects.toThrow(/id-token: write/);
  });

  it("refuses both at once", () => {
    expect(() => workloadCredentials({ oidcTokenFile: "/t", githubActionsOidc: "cs" })).toThrow(UsageError);
  });
});
