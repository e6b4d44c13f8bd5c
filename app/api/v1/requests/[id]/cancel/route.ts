// POST /api/v1/requests/{id}/cancel — withdraw a pending request.
import { cancelRequest } from "@/lib/requests/lifecycle";
import { cancelBody } from "@/lib/requests/schema";
import { apiRoute, authenticate, json, readJson, requestIdFrom, type IdContext } from "../../../../_lib/http";

export const POST = apiRoute(async (req: Request, ctx: IdContext) => {
  const agent = await authenticate(req);
  const id = await requestIdFrom(ctx);
  const body = await readJson(req, cancelBody, { optional: true });
  return json(await cancelRequest(agent, id, body.reason));
});
