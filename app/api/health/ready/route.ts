// GET /api/health/ready — readiness: 200 when every check passes, else 503 naming each failing one (lib/observability/readiness.ts).
import { currentReadiness } from "@/lib/observability/readiness";
import { refuseOtherMethods } from "../../_lib/http";

export async function GET(): Promise<Response> {
  const { ready, checks } = await currentReadiness();
  return Response.json({ status: ready ? "ready" : "not_ready", checks }, { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } });
}

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
