// POST /api/v1/requests — an agent files a request.
import { createRequest } from "@/lib/requests/lifecycle";
import { createRequestBody } from "@/lib/requests/schema";
import { CountersignError } from "@/lib/errors";
import { apiRoute, authenticate, json, readJson } from "../../_lib/http";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export const POST = apiRoute(async (req: Request) => {
  const agent = await authenticate(req);
  const key = req.headers.get("idempotency-key") ?? undefined;
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new CountersignError("invalid_request", "Idempotency-Key must be 1–200 printable ASCII characters.", {
      issues: [{ path: "Idempotency-Key", message: "1–200 printable ASCII characters" }],
    });
  }
  const body = await readJson(req, createRequestBody);
  const { request, replayed } = await createRequest(agent, body, { idempotencyKey: key });
  return json(request, replayed ? 200 : 201, {
    location: `/api/v1/requests/${request.id}`,
    ...(replayed ? { "idempotent-replayed": "true" } : {}),
  });
});
