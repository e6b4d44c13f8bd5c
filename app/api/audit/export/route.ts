// GET /api/audit/export?format=csv|ndjson&<timeline filters> — the filtered audit view, streamed,
// each row with what proves it, closed by a signed trailer (filter, seq range, rows digest, tree
// head): `countersign audit verify --file` checks it offline. Auditors and admins.
import { getViewer } from "@/lib/auth/session";
import { exportTimeline, timelineQuery } from "@/lib/audit/timeline";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { apiRoute, refuseOtherMethods } from "../../_lib/http";

export const GET = apiRoute(async (req: Request) => {
  const params = Object.fromEntries(new URL(req.url).searchParams);
  const format = params.format ?? "ndjson";
  if (format !== "csv" && format !== "ndjson") {
    throw new CountersignError("invalid_request", "format must be csv or ndjson.", { issues: [{ path: "format", message: "csv or ndjson" }] });
  }
  const query = timelineQuery.safeParse(params);
  if (!query.success) throw new CountersignError("invalid_request", "Invalid filter.", { issues: issuesFromZod(query.error.issues) });
  const { stream, filename, contentType } = await exportTimeline(await getViewer(), query.data, format);
  return new Response(stream, {
    headers: {
      "content-type": contentType,
      "content-disposition": `attachment; filename="${filename}"`,
      // no-transform: the server does not gzip the stream (Next.js would, for CSV): compressing
      // hundreds of megabytes on the server's one thread would stall everyone else's requests
      // and cut the export's rate to a third. A proxy in front may compress it.
      "cache-control": "no-store, no-transform",
      "x-content-type-options": "nosniff",
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
