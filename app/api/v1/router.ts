// The agent API's routing table, for the production server's direct path (server.ts). It maps a
// method and path to the same route handlers Next.js serves, so there is one implementation.
import { POST as createRequest } from "./requests/route";
import { GET as getRequest } from "./requests/[id]/route";
import { GET as streamEvents } from "./requests/[id]/events/route";
import { POST as executeRequest } from "./requests/[id]/execute/route";
import { POST as reportResult } from "./requests/[id]/result/route";
import { POST as cancelRequest } from "./requests/[id]/cancel/route";
import { CountersignError } from "@/lib/errors";
import { json, toResponse } from "../_lib/http";

type IdHandler = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;

const ACTIONS: Record<string, IdHandler> = { execute: executeRequest, result: reportResult, cancel: cancelRequest };
const ROUTE = /^\/api\/v1\/requests(?:\/([^/]+)(?:\/([a-z]+))?)?\/?$/;

export async function routeAgentApi(req: Request): Promise<Response> {
  const { pathname } = new URL(req.url);
  const m = ROUTE.exec(pathname);
  if (!m) return toResponse(new CountersignError("not_found", `No agent API route ${pathname}.`));
  const [, id, sub] = m;
  const ctx = { params: Promise.resolve({ id: decodeURIComponent(id ?? "") }) };
  const allow = (method: string, handler: () => Promise<Response>) =>
    req.method === method
      ? handler()
      : Promise.resolve(json(new CountersignError("method_not_allowed", `Use ${method} for ${pathname}.`).toJSON(), 405, { allow: method }));
  if (!id) return allow("POST", () => createRequest(req, undefined as never));
  if (!sub) return allow("GET", () => getRequest(req, ctx));
  if (sub === "events") return allow("GET", () => streamEvents(req, ctx));
  const action = ACTIONS[sub];
  if (action) return allow("POST", () => action(req, ctx));
  return toResponse(new CountersignError("not_found", `No agent API route ${pathname}.`));
}
