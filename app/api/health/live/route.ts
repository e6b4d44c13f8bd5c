// GET /api/health/live — liveness: 200 while the process can answer at all. It reads nothing, so a
// database outage never gets a healthy instance restarted; readiness (/api/health/ready) says whether to send it traffic.
import { refuseOtherMethods } from "../../_lib/http";

export function GET(): Response {
  return Response.json({ status: "live" }, { headers: { "cache-control": "no-store" } });
}

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
