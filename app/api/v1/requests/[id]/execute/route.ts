// POST /api/v1/requests/{id}/execute — claim the approval; succeeds at most once.
import { claimApproval } from "@/lib/requests/lifecycle";
import { apiRoute, authenticate, json, requestIdFrom, type IdContext } from "../../../../_lib/http";

export const POST = apiRoute(async (req: Request, ctx: IdContext) => {
  const agent = await authenticate(req);
  return json(await claimApproval(agent, await requestIdFrom(ctx)));
});
