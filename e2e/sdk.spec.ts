// The TypeScript SDK (@countersign/sdk, issue 13) against a real `npm start` server on real
// PostgreSQL: withApproval runs the function once after an approval and records the result; a
// denial, an expiry or a policy refusal never runs it; a server restart during the wait, and a
// lost answer to the filing, are survived without filing twice; parameters changed after the
// approval, and a grant edited in transit, are refused before anything runs; the event stream
// falls back to long-polls; a target system verifies and redeems a grant (the worked example).
import http from "node:http";
import net from "node:net";
import { expect, test } from "@playwright/test";
import postgres from "postgres";
import {
  Countersign,
  DeniedError,
  ExpiredError,
  GrantVerificationError,
  RefusedByPolicyError,
  WaitTimeoutError,
  paramsHash,
  verifyGrant,
  type ApprovalRequest,
  type RequestView,
} from "@countersign/sdk";
import { startDeployTarget } from "../sdk/src/examples/deploy-target";
import { startAgentSide, type AgentSide } from "./support/agent-side";
import { E2E_KEYS, freePort, sleep } from "./support/servers";

test.describe.configure({ mode: "serial" });

let side: AgentSide;
let cs: Countersign;
let sql: postgres.Sql;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  side = await startAgentSide({ prefix: "countersign_e2e_sdk" });
  cs = new Countersign({ url: side.url, key: side.agent.key });
  sql = postgres(side.database.url, { max: 2, onnotice: () => {} });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const s of side.servers) await testInfo.attach(`server-${s.name}.log`, { body: s.output(), contentType: "text/plain" });
});

test.afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await side?.close();
});

let n = 0;
/** A request nobody else files: a unique resource per test. */
const deploy = (extra: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  action: "deploy.service",
  resource: `svc-${Date.now().toString(36)}-${++n}`,
  environment: "staging",
  intent: "Roll out the new build",
  context: { image: "registry.example.com/shop:1.4.2", replicas: 3, argv: ["kubectl", "rollout", "restart", "deploy/shop"] },
  ...extra,
});

/** Rows filed for a resource: "filed once" is a count in the database, not a belief. */
async function requestsFor(resource: string) {
  return sql<{ id: string; status: string }[]>`select id, status from requests where resource = ${resource}`;
}

/** Approves the request once it is filed (the callback withApproval gives), from the reviewer's side. */
function approveWhenFiled(note?: string) {
  return (r: RequestView) => void side.approve(r.id, note ? { note } : {}).catch((err) => console.error("approve failed", err));
}

test("approve: the function runs once with a verified grant, and the result is recorded", async () => {
  const request = deploy();
  let runs = 0;
  let filed: RequestView | undefined;
  const value = await cs.withApproval(
    request,
    async (grant) => {
      runs++;
      expect(grant.claims.sub).toBe(filed!.id);
      expect(grant.claims.params_hash).toBe(await paramsHash(request));
      expect(grant.claims.approvals.map((a) => a.name)).toEqual(["Rita Reviewer"]);
      // What a target does with it: the same check, from the JWKS the server publishes.
      const v = await verifyGrant(grant.token, { jwks: E2E_KEYS.jwks, expect: { params_hash: await paramsHash(request) } });
      expect(v.ok).toBe(true);
      return "rolled out";
    },
    {
      onFiled: (r) => {
        filed = r;
        approveWhenFiled()(r);
      },
      resultDetail: (v) => ({ output: v }),
    },
  );
  expect(value).toBe("rolled out");
  expect(runs).toBe(1);
  const after = await cs.getRequest(filed!.id);
  expect(after.status).toBe("executed");
  expect(after.result?.status).toBe("succeeded");
  expect(after.result?.detail).toMatchObject({ output: "rolled out" });
  expect(typeof after.result?.detail?.duration_ms).toBe("number");
  // Claimed once: a second claim is refused.
  await expect(cs.claim(filed!.id)).rejects.toMatchObject({ status: 409, code: "already_executed" });
});

test("the function's failure is reported with its message, and rethrown", async () => {
  let id = "";
  await expect(
    cs.withApproval(deploy(), () => Promise.reject(new Error("rollout timed out on 2 of 3 pods")), {
      onFiled: (r) => {
        id = r.id;
        approveWhenFiled()(r);
      },
    }),
  ).rejects.toThrow("rollout timed out on 2 of 3 pods");
  const after = await cs.getRequest(id);
  expect(after.result).toMatchObject({ status: "failed", detail: { error: "rollout timed out on 2 of 3 pods" } });
});

test("deny: the function never runs; DeniedError carries the reviewer's note", async () => {
  let runs = 0;
  const err = await cs
    .withApproval(deploy({ environment: "production" }), () => void runs++, {
      onFiled: (r) => void side.deny(r.id, "Not during the sale; try Monday."),
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeniedError);
  expect((err as DeniedError).note).toBe("Not during the sale; try Monday.");
  expect((err as DeniedError).reviewer).toBe("Rita Reviewer");
  expect((err as DeniedError).request.status).toBe("denied");
  expect(runs).toBe(0);
});

test("expiry: nobody decides before the deadline, the function never runs", async () => {
  let runs = 0;
  const err = await cs.withApproval(deploy({ action: "test.short.deadline" }), () => void runs++).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ExpiredError);
  expect((err as ExpiredError).phase).toBe("decision");
  expect(runs).toBe(0);
});

test("policy refusal: RefusedByPolicyError names the rule; nothing waits and nothing runs", async () => {
  let runs = 0;
  const err = await cs
    .withApproval({ ...deploy(), action: "db.orders.drop", environment: "production", resource: "orders" }, () => void runs++)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RefusedByPolicyError);
  expect((err as RefusedByPolicyError).rule).toBe("no-prod-db-drops");
  expect(runs).toBe(0);
});

test("a parameter changed after the approval is refused before running, and the refusal is recorded", async () => {
  const request = deploy();
  let runs = 0;
  let id = "";
  const err = await cs
    .withApproval(request, () => void runs++, {
      onFiled: (r) => {
        id = r.id;
        approveWhenFiled()(r);
      },
      // While the human looks, something (a prompt injection, a bug) changes what will run.
      onUpdate: (r) => {
        if (r.status === "approved") (request.context as { replicas: number }).replicas = 300;
      },
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GrantVerificationError);
  expect((err as GrantVerificationError).failure).toBe("mismatch");
  expect((err as GrantVerificationError).claim).toBe("params_hash");
  expect(runs).toBe(0);
  const after = await cs.getRequest(id);
  expect(after.result).toMatchObject({ status: "failed", detail: { refused_by: "sdk" } });
  expect(String(after.result?.detail?.error)).toContain("params_hash");
});

test("a server restart during the wait: the SDK reconnects, nothing is filed twice, the function runs once", async () => {
  test.setTimeout(90_000);
  const request = deploy();
  let runs = 0;
  let filedId = "";
  const updates: string[] = [];
  const filed = new Promise<string>((resolve) => {
    void cs
      .withApproval(request, () => void runs++, {
        onFiled: (r) => {
          filedId = r.id;
          resolve(r.id);
        },
        onUpdate: (r) => updates.push(r.status),
      })
      .then(
        () => (result = "ran"),
        (e: unknown) => (result = e),
      );
  });
  let result: unknown;
  const id = await filed;
  await sleep(300); // the stream is open
  await side.restart(0, { downMs: 1_500 });
  await side.approve(id);
  await expect.poll(() => result, { timeout: 30_000 }).toBe("ran");
  expect(runs).toBe(1);
  expect(updates).toContain("approved");
  expect(await requestsFor(request.resource)).toEqual([{ id: filedId, status: "executed" }]);
});

test("a lost answer to the filing is retried under the same Idempotency-Key: one request", async () => {
  // A proxy that forwards the first POST /requests to the server, lets it commit, then cuts the
  // connection before the answer reaches the SDK.
  let cut = 0;
  const proxy = await startProxy(side.url, (req) => req.method === "POST" && req.url === "/api/v1/requests" && cut++ === 0 ? "drop-response" : "pass");
  try {
    const client = new Countersign({ url: proxy.url, key: side.agent.key });
    const request = deploy({ action: "deploy.service.read" }); // auto-approved: no reviewer needed
    const view = await client.requestApproval(request);
    expect(cut).toBe(2);
    expect(view.status).toBe("approved");
    expect(await requestsFor(request.resource)).toHaveLength(1);
  } finally {
    await proxy.close();
  }
});

test("a grant edited in transit is refused before running", async () => {
  const proxy = await startProxy(side.url, (req) => (req.url?.endsWith("/execute") ? "tamper-grant" : "pass"));
  try {
    const client = new Countersign({ url: proxy.url, key: side.agent.key });
    let runs = 0;
    const err = await client.withApproval(deploy({ action: "deploy.service.read" }), () => void runs++).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrantVerificationError);
    expect((err as GrantVerificationError).failure).toBe("bad_signature");
    expect(runs).toBe(0);
  } finally {
    await proxy.close();
  }
});

test("long-polls: chosen, or fallen back to when the event stream is not a stream", async () => {
  // A fetch that answers the event stream with JSON, as a buffering proxy might.
  const noStreams: typeof fetch = async (input, init) => {
    const url = input instanceof URL ? input : new URL(String(input));
    if (url.pathname.endsWith("/events")) return new Response("{}", { headers: { "content-type": "application/json" } });
    return fetch(input, init);
  };
  for (const [client, transport] of [
    [new Countersign({ url: side.url, key: side.agent.key, fetch: noStreams }), "auto"],
    [cs, "poll"],
  ] as const) {
    const filed = await client.requestApproval(deploy());
    const seen: string[] = [];
    const waiting = client.waitForDecision(filed.id, { transport, onUpdate: (r) => seen.push(r.status) });
    await sleep(300);
    await side.approve(filed.id);
    const decided = await waiting;
    expect(decided.status).toBe("approved");
    expect(seen.at(-1)).toBe("approved");
  }
});

test("waitForDecision: a timeout and an abort end the wait, the request stays pending", async () => {
  const filed = await cs.requestApproval(deploy());
  const started = Date.now();
  await expect(cs.waitForDecision(filed.id, { timeout: 800 })).rejects.toBeInstanceOf(WaitTimeoutError);
  expect(Date.now() - started).toBeLessThan(5_000);
  const controller = new AbortController();
  const reason = new Error("operator pressed ctrl-c");
  setTimeout(() => controller.abort(reason), 300);
  await expect(cs.waitForDecision(filed.id, { signal: controller.signal })).rejects.toBe(reason);
  expect((await cs.getRequest(filed.id)).status).toBe("pending");
});

test("errors: a wrong key is a typed 401, another agent's request a 403; a wrong URL is a connection error", async () => {
  await expect(new Countersign({ url: side.url, key: "cs_not_a_real_key" }).requestApproval(deploy())).rejects.toMatchObject({
    status: 401,
    code: "unauthorized",
  });
  const other = await side.newAgent();
  const mine = await cs.requestApproval(deploy());
  await expect(new Countersign({ url: side.url, key: other.key }).waitForDecision(mine.id)).rejects.toMatchObject({ status: 403, code: "forbidden" });
  await expect(cs.requestApproval({ ...deploy(), action: "Not An Action" })).rejects.toMatchObject({ status: 400, code: "invalid_request" });
  const closed = await freePort();
  await expect(new Countersign({ url: `http://127.0.0.1:${closed}`, key: side.agent.key, retryFor: 300 }).getRequest(mine.id)).rejects.toMatchObject({
    code: "connection_failed",
  });
});

test("the worked example: a target refuses without a grant, with another action's grant, and a replay; accepts the approved one once", async () => {
  const target = await startDeployTarget({ countersignUrl: side.url, port: await freePort() });
  try {
    const post = (body: unknown, grant?: string) =>
      fetch(`${target.url}/deploy`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(grant ? { "countersign-grant": grant } : {}) },
        body: JSON.stringify(body),
      });
    const order = { service: `shop-${++n}`, version: "1.4.2" };
    expect((await post(order)).status).toBe(401);

    const request = { action: "deploy.service", resource: order.service, environment: "production", intent: "Ship 1.4.2", context: { version: order.version } };
    const answers = await cs.withApproval(
      request,
      async (grant) => {
        const other = await post({ ...order, version: "6.6.6" }, grant.token); // not what was approved
        const first = await post(order, grant.token);
        const replay = await post(order, grant.token);
        return { other: other.status, first: first.status, firstBody: await first.json(), replay: replay.status };
      },
      { onFiled: approveWhenFiled() },
    );
    expect(answers.other).toBe(403);
    expect(answers.first).toBe(200);
    expect(answers.firstBody).toMatchObject({ deployed: order });
    expect(answers.replay).toBe(409);
    expect(target.deployments).toEqual([order]);
  } finally {
    await target.close();
  }
});

// ── a proxy that misbehaves on purpose ────────────────────────────────────────────────────────

type ProxyAct = "pass" | "drop-response" | "tamper-grant";

async function startProxy(upstream: string, decide: (req: http.IncomingMessage) => ProxyAct) {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const act = decide(req);
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        if (act === "drop-response") {
          upRes.resume();
          upRes.on("end", () => req.socket.destroy());
          return;
        }
        if (act === "tamper-grant") {
          let body = "";
          upRes.setEncoding("utf8").on("data", (d: string) => (body += d));
          upRes.on("end", () => {
            const json = JSON.parse(body) as { grant?: string };
            if (json.grant) {
              const [h, p, s] = json.grant.split(".");
              // Flip one character of the signature.
              json.grant = `${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`;
            }
            const out = JSON.stringify(json);
            res.writeHead(upRes.statusCode!, { "content-type": "application/json", "content-length": Buffer.byteLength(out) }).end(out);
          });
          return;
        }
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
