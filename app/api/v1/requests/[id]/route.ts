// GET /api/v1/requests/{id}[?wait=N] — current state, optionally long-polling for a change.
import { waitQuery } from "@/lib/requests/schema";
import { waitForStatusChange } from "@/lib/requests/wait";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { apiRoute, authenticate, json, requestIdFrom, type IdContext } from "../../../_lib/http";

export const GET = apiRoute(async (req: Request, ctx: IdContext) => {
  const agent = await authenticate(req);
  const id = await requestIdFrom(ctx);
  const query = waitQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!query.success) {
    throw new CountersignError("invalid_request", "Invalid query.", { issues: issuesFromZod(query.error.issues) });
  }
  return json(await waitForStatusChange(agent, id, query.data.wait ?? 0, req.signal));
});
