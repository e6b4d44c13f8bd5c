// The SDK's workload credentials without a server: the RFC 8693 exchange request it sends, the
// agent token's cache and refresh, the token file re-read on each exchange, GitHub Actions' token
// request, a refused exchange surfaced (not retried as an outage), and one re-exchange on invalid_token.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Countersign } from "../client.js";
import { ApiError } from "../errors.js";
import { oidcCredentials } from "./oidc.js";
import { exchangedCredentials } from "./provider.js";

type Seen = { url: string; method: string; headers: Record<string, string>; body: string };

/** A fetch that records calls and answers from `answer`. */
function fakeFetch(answer: (seen: Seen, n: number) => Response): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const f = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const s: Seen = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === "string" ? init.body : "",
    };
    seen.push(s);
    return answer(s, seen.length);
  }) as typeof fetch;
  return { fetch: f, seen };
}

const tokenAnswer = (token: string, expiresIn = 600) =>
  Response.json({ access_token: token, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: expiresIn });

describe("exchangedCredentials", () => {
  it("sends the RFC 8693 form, caches the agent token, and exchanges again shortly before it expires", async () => {
    let clock = 0;
    let n = 0;
    const { fetch, seen } = fakeFetch(() => tokenAnswer(`agent-token-${++n}`, 600));
    const provider = exchangedCredentials(oidcCredentials({ token: " the.oidc.jwt \n" }), { baseUrl: new URL("https://cs.example/base/"), fetch, now: () => clock });
    expect(await provider.bearer()).toBe("agent-token-1");
    expect(seen[0]!.url).toBe("https://cs.example/base/api/v1/token");
    expect(seen[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: "the.oidc.jwt",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    });
    clock = 500_000; // inside the 10 minutes, before the one-minute margin
    expect(await provider.bearer()).toBe("agent-token-1");
    clock = 541_000; // within a minute of expiry: refreshed
    expect(await provider.bearer()).toBe("agent-token-2");
    expect(seen).toHaveLength(2);
  });

  it("shares one exchange between concurrent calls", async () => {
    const { fetch, seen } = fakeFetch(() => tokenAnswer("t"));
    const provider = exchangedCredentials(oidcCredentials({ token: "x.y.z" }), { baseUrl: new URL("https://cs.example/"), fetch });
    await Promise.all([provider.bearer(), provider.bearer(), provider.bearer()]);
    expect(seen).toHaveLength(1);
  });

  it("waits out a restarting server (503, connection refused), but not a refusal", async () => {
    let n = 0;
    const { fetch, seen } = fakeFetch(() => {
      n += 1;
      if (n === 1) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
      if (n === 2) return Response.json({ error: "temporarily_unavailable", error_description: "db down", code: "unavailable" }, { status: 503, headers: { "retry-after": "0" } });
      return tokenAnswer("after-restart");
    });
    const provider = exchangedCredentials(oidcCredentials({ token: "x.y.z" }), { baseUrl: new URL("https://cs.example/"), fetch });
    expect(await provider.bearer()).toBe("after-restart");
    expect(seen).toHaveLength(3);
  });

  it("surfaces a refused exchange with the failing check", async () => {
    const { fetch, seen } = fakeFetch(() =>
      Response.json({ error: "invalid_token", error_description: "The token's audience is wrong.", code: "invalid_token", check: "audience" }, { status: 401 }),
    );
    const provider = exchangedCredentials(oidcCredentials({ token: "x.y.z" }), { baseUrl: new URL("https://cs.example/"), fetch });
    const err = await provider.bearer().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1); // not retried
    expect(err).toMatchObject({ status: 401, code: "invalid_token", issues: [{ path: "audience" }] });
  });
});

describe("oidcCredentials", () => {
  it("re-reads the token file on every exchange (the kubelet rotates it)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-oidc-"));
    const file = path.join(dir, "token");
    fs.writeFileSync(file, "first.token.jwt\n");
    const source = oidcCredentials({ tokenFile: file });
    expect(await source.subjectToken()).toBe("first.token.jwt");
    fs.writeFileSync(file, "second.token.jwt");
    expect(await source.subjectToken()).toBe("second.token.jwt");
    fs.writeFileSync(file, "");
    await expect(source.subjectToken()).rejects.toThrow(/empty/);
    fs.rmSync(dir, { recursive: true });
  });

  it("asks GitHub Actions for a token with the audience, using the runner's request token", async () => {
    const { fetch, seen } = fakeFetch(() => Response.json({ value: "gh.oidc.jwt" }));
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = "https://pipelines.actions.example/idtoken?api-version=2.0";
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = "runner-request-token";
    try {
      const token = await oidcCredentials({ githubActions: { audience: "countersign", fetch } }).subjectToken();
      expect(token).toBe("gh.oidc.jwt");
      const url = new URL(seen[0]!.url);
      expect(url.searchParams.get("audience")).toBe("countersign");
      expect(url.searchParams.get("api-version")).toBe("2.0");
      expect(seen[0]!.headers.authorization).toBe("bearer runner-request-token");
    } finally {
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    }
    await expect(oidcCredentials({ githubActions: { audience: "countersign", fetch } }).subjectToken()).rejects.toThrow(/id-token: write/);
  });
});

describe("Countersign with a workload identity", () => {
  it("calls with the exchanged token, and exchanges once more when the server refuses it as invalid", async () => {
    let exchanges = 0;
    const { fetch, seen } = fakeFetch((s) => {
      if (s.url.endsWith("/api/v1/token")) return tokenAnswer(`agent-${++exchanges}`);
      if (s.headers.authorization === "Bearer agent-1") {
        return Response.json({ error: { code: "invalid_token", message: "expired", issues: [{ path: "expired", message: "expired" }] } }, { status: 401 });
      }
      return Response.json({ id: "r1", status: "pending" });
    });
    const cs = new Countersign({ url: "https://cs.example", credentials: oidcCredentials({ token: "x.y.z" }), fetch });
    const view = await cs.getRequest("r1");
    expect(view).toMatchObject({ id: "r1" });
    expect(seen.map((s) => `${s.method} ${new URL(s.url).pathname} ${s.headers.authorization ?? ""}`)).toEqual([
      "POST /api/v1/token ",
      "GET /api/v1/requests/r1 Bearer agent-1",
      "POST /api/v1/token ",
      "GET /api/v1/requests/r1 Bearer agent-2",
    ]);
  });

  it("needs no COUNTERSIGN_KEY when given credentials", () => {
    const saved = process.env.COUNTERSIGN_KEY;
    delete process.env.COUNTERSIGN_KEY;
    try {
      expect(() => new Countersign({ url: "https://cs.example" })).toThrow(/agent key/);
      expect(() => new Countersign({ url: "https://cs.example", credentials: oidcCredentials({ token: "x.y.z" }) })).not.toThrow();
    } finally {
      if (saved !== undefined) process.env.COUNTERSIGN_KEY = saved;
    }
  });
});
