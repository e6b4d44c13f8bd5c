import { describe, expect, it } from "vitest";
import { AuthConfigError, readAuthSettings } from "./config";

const SECRET = "s".repeat(32);
const OKTA = { AUTH_OKTA_ID: "client", AUTH_OKTA_SECRET: "okta-secret", AUTH_OKTA_ISSUER: "https://acme.okta.com" };
const GITHUB = { AUTH_GITHUB_ID: "gh-client", AUTH_GITHUB_SECRET: "gh-secret" };

describe("readAuthSettings", () => {
  it("offers the development sign-in, with a development secret, when nothing is configured outside production", () => {
    expect(readAuthSettings({ NODE_ENV: "development" })).toEqual({
      okta: undefined,
      github: undefined,
      devSignIn: true,
      demo: false,
      secret: "countersign-development-secret-not-for-production-use",
      trustHost: true,
    });
  });

  it("reads an empty variable as unset", () => {
    const settings = readAuthSettings({ NODE_ENV: "test", AUTH_SECRET: "", AUTH_OKTA_ID: "", AUTH_GITHUB_ID: "", AUTH_GITHUB_ORGS: "" });
    expect(settings).toMatchObject({ okta: undefined, github: undefined, devSignIn: true });
  });

  it("configures Okta from its three variables, and then has no development sign-in", () => {
    expect(readAuthSettings({ NODE_ENV: "development", AUTH_SECRET: SECRET, ...OKTA })).toEqual({
      okta: { clientId: "client", clientSecret: "okta-secret", issuer: "https://acme.okta.com" },
      github: undefined,
      devSignIn: false,
      demo: false,
      secret: SECRET,
      trustHost: true,
    });
  });

  it("configures GitHub Enterprise's API URL and lower-cases the orgs", () => {
    const settings = readAuthSettings({
      NODE_ENV: "production",
      AUTH_SECRET: SECRET,
      ...GITHUB,
      AUTH_GITHUB_ENTERPRISE_URL: "https://github.acme.test/",
      AUTH_GITHUB_ORGS: " Acme, ,Platform-Team ",
    });
    expect(settings.github).toEqual({
      clientId: "gh-client",
      clientSecret: "gh-secret",
      enterpriseUrl: "https://github.acme.test/",
      apiUrl: "https://github.acme.test/api/v3",
      orgs: ["acme", "platform-team"],
    });
    expect(settings.devSignIn).toBe(false);
    expect(readAuthSettings({ NODE_ENV: "development", AUTH_SECRET: SECRET, ...GITHUB }).github).toMatchObject({
      apiUrl: "https://api.github.com",
      orgs: [],
    });
  });

  it("refuses GitHub in production without AUTH_GITHUB_ORGS: any GitHub user could sign in", () => {
    expect(() => readAuthSettings({ NODE_ENV: "production", AUTH_SECRET: SECRET, ...GITHUB })).toThrow(
      "AUTH_GITHUB_ORGS is required in production with GitHub sign-in",
    );
    expect(() => readAuthSettings({ NODE_ENV: "production", AUTH_SECRET: SECRET, ...GITHUB, AUTH_GITHUB_ORGS: " , " })).toThrow(AuthConfigError);
  });

  it("trusts the request's host unless AUTH_TRUST_HOST=false", () => {
    expect(readAuthSettings({ NODE_ENV: "production", AUTH_SECRET: SECRET, ...OKTA }).trustHost).toBe(true);
    expect(readAuthSettings({ NODE_ENV: "production", AUTH_SECRET: SECRET, ...OKTA, AUTH_TRUST_HOST: "false" }).trustHost).toBe(false);
  });

  it("refuses a provider configured by halves", () => {
    expect(() => readAuthSettings({ NODE_ENV: "development", AUTH_OKTA_ID: "client" })).toThrow(AuthConfigError);
    expect(() => readAuthSettings({ NODE_ENV: "development", AUTH_OKTA_ID: "client" })).toThrow(
      "Okta is partly configured: set all of AUTH_OKTA_ID, AUTH_OKTA_SECRET and AUTH_OKTA_ISSUER.",
    );
    expect(() => readAuthSettings({ NODE_ENV: "development", AUTH_GITHUB_SECRET: "gh-secret" })).toThrow(
      "GitHub is partly configured: set both AUTH_GITHUB_ID and AUTH_GITHUB_SECRET.",
    );
  });

  it("refuses production without AUTH_SECRET or a provider, naming both", () => {
    let error: unknown;
    try {
      readAuthSettings({ NODE_ENV: "production" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AuthConfigError);
    expect((error as Error).message).toContain("Sign-in is not configured:");
    expect((error as Error).message).toContain("AUTH_SECRET is required in production (openssl rand -base64 33).");
    expect((error as Error).message).toContain("No sign-in provider is configured.");
    expect(() => readAuthSettings({ NODE_ENV: "production", ...OKTA })).toThrow("AUTH_SECRET is required in production");
    expect(() => readAuthSettings({ NODE_ENV: "production", AUTH_SECRET: SECRET })).toThrow("No sign-in provider is configured");
  });

  it("names a malformed variable and what it must be", () => {
    expect(() => readAuthSettings({ NODE_ENV: "development", AUTH_SECRET: "short" })).toThrow(
      "AUTH_SECRET: must be at least 32 characters (openssl rand -base64 33)",
    );
    expect(() => readAuthSettings({ NODE_ENV: "development", ...OKTA, AUTH_OKTA_ISSUER: "not a url" })).toThrow(/AUTH_OKTA_ISSUER: /);
  });

  it("COUNTERSIGN_DEMO=1 offers the development sign-in in the production build (npm run demo), with the development secret", () => {
    expect(readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "1" })).toMatchObject({
      devSignIn: true,
      demo: true,
      secret: "countersign-development-secret-not-for-production-use",
    });
    // Without the flag, production still refuses to start without a provider.
    expect(() => readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "0", AUTH_SECRET: SECRET })).toThrow("No sign-in provider is configured");
  });

  it("refuses COUNTERSIGN_DEMO=1 beside a real identity provider or a PostgreSQL database", () => {
    expect(() => readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "1", AUTH_SECRET: SECRET, ...OKTA })).toThrow(
      "must never sit beside a real identity provider",
    );
    expect(() => readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "1", ...GITHUB, AUTH_GITHUB_ORGS: "acme" })).toThrow(AuthConfigError);
    expect(() => readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "1", DATABASE_URL: "postgres://db.acme.test/countersign" })).toThrow(
      "runs only on the embedded demo database",
    );
    expect(() => readAuthSettings({ NODE_ENV: "production", COUNTERSIGN_DEMO: "yes" })).toThrow("COUNTERSIGN_DEMO: must be 1 (the demo) or 0");
  });
});
