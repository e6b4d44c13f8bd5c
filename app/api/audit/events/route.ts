// GET /api/audit/events?<timeline filters>&after=&limit= — one keyset page of the timeline as JSON,
// for auditors' tooling. Any console role may read.
import { getViewer } from "@/lib/auth/session";
import { listTimeline, timelineQuery } from "@/lib/audit/timeline";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { apiRoute, json, refuseOtherMethods } from "../../_lib/http";

export const GET = apiRoute(async (req: Request) => {
  const query = timelineQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!query.success) throw new CountersignError("invalid_request", "Invalid filter.", { issues: issuesFromZod(query.error.issues) });
  return json(await listTimeline(await getViewer(), query.data));
});

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
