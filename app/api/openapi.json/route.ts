// GET /api/openapi.json — the agent API's OpenAPI 3.1 document.
import { buildOpenApiDocument } from "@/lib/requests/openapi";

let cached: ReturnType<typeof buildOpenApiDocument> | undefined;

export function GET(): Response {
  cached ??= buildOpenApiDocument();
  return Response.json(cached, { headers: { "cache-control": "public, max-age=300" } });
}
