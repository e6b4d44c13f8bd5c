// A worked example of a target system: a tiny deploy service that does nothing without a grant.
// An agent (through withApproval, the command gate or the MCP gateway) sends the grant it claimed
// in a `Countersign-Grant` header with the deployment it wants. The service
//   1. verifies the grant against Countersign's published keys (/.well-known/jwks.json),
//   2. recomputes params_hash from the deployment it is about to perform — so a grant approved for
//      version 1.4.2 cannot deploy 6.6.6 — and checks action, resource and environment,
//   3. redeems the grant at Countersign (first redeem wins: a replayed grant is refused),
// and only then deploys. In your own code import from "@countersign/sdk".
import http from "node:http";
import { paramsHash, verifyGrant } from "../index.js";

export type Deployment = { service: string; version: string };

export type DeployTarget = { url: string; deployments: Deployment[]; close(): Promise<void> };

const ACTION = "deploy.service";
const ENVIRONMENT = "production";

export async function startDeployTarget(opts: { countersignUrl: string; port: number; host?: string }): Promise<DeployTarget> {
  const deployments: Deployment[] = [];

  async function handle(req: http.IncomingMessage, body: string): Promise<[number, unknown]> {
    if (req.method !== "POST" || req.url !== "/deploy") return [404, { error: "not found" }];
    const grant = req.headers["countersign-grant"];
    if (typeof grant !== "string") return [401, { error: "A Countersign grant is required (Countersign-Grant header)." }];
    let d: Deployment;
    try {
      d = JSON.parse(body) as Deployment;
      if (typeof d.service !== "string" || typeof d.version !== "string") throw new Error();
    } catch {
      return [400, { error: "Body: { service, version }" }];
    }

    // 1–2: the grant must be for exactly this deployment.
    const expected = { action: ACTION, resource: d.service, environment: ENVIRONMENT, context: { version: d.version } };
    const verdict = await verifyGrant(grant, {
      url: opts.countersignUrl,
      expect: { action: ACTION, resource: d.service, environment: ENVIRONMENT, params_hash: await paramsHash(expected) },
    });
    if (!verdict.ok) return [verdict.failure === "mismatch" ? 403 : 401, { error: verdict.message, failure: verdict.failure }];

    // 3: once only, across every replica of this service: Countersign records the redemption.
    const redeem = await fetch(new URL(`/api/v1/grants/${verdict.claims.jti}/redeem`, opts.countersignUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant, redeemer: { name: "deploy-target", host: req.headers.host ?? "unknown" } }),
    });
    if (!redeem.ok) return [redeem.status === 409 ? 409 : 502, { error: "The grant could not be redeemed.", countersign: await redeem.json().catch(() => null) }];

    deployments.push(d);
    return [200, { deployed: d, approved_by: verdict.claims.approvals.map((a) => a.name), request_id: verdict.claims.sub }];
  }

  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c));
    req.on("end", () => {
      handle(req, body)
        .catch((err: unknown) => [500, { error: (err as Error).message }] as [number, unknown])
        .then(([status, json]) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json)));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? "127.0.0.1", resolve));
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${opts.port}`,
    deployments,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
