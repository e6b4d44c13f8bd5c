// POST /api/v1/requests/{id}/result — report how the executed action went.
import { reportResult } from "@/lib/requests/lifecycle";
import { reportResultBody } from "@/lib/requests/schema";
import { apiRoute, authenticate, json, readJson, requestIdFrom, type IdContext } from "../../../../_lib/http";

export const POST = apiRoute(async (req: Request, ctx: IdContext) => {
  const agent = await authenticate(req);
  const id = await requestIdFrom(ctx);
  return json(await reportResult(agent, id, await readJson(req, reportResultBody)));
});
