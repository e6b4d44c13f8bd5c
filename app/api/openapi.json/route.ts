// GET /api/openapi.json — the agent API's OpenAPI 3.1 document, generated from its routing table.
import { agentApiDocument } from "../_lib/agent-api";
import { refuseOtherMethods } from "../_lib/http";

export function GET(): Response {
  return Response.json(agentApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
