// GET /api/metrics — Prometheus text exposition, for the scraper holding COUNTERSIGN_METRICS_TOKEN (404 while unset, 401 for a wrong token).
import { authenticateScraper } from "@/lib/observability/scrape-auth";
import { renderMetrics } from "@/lib/observability/metrics";
import { apiRoute, refuseOtherMethods } from "../_lib/http";

export const GET = apiRoute(async (req: Request) => {
  authenticateScraper(req.headers.get("authorization"));
  const { contentType, body } = await renderMetrics();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
