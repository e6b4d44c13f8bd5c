// Slack interactivity request URL: hands the raw body and signature headers to the Slack core and
// maps its answer (or typed refusal: 401 bad signature, 503 Slack not configured) to HTTP.
import { apiRoute, json, readRawBody, refuseOtherMethods } from "@/app/api/_lib/http";
import { handleSlackInteraction } from "@/lib/slack/interactions";
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER } from "@/lib/slack/signature";

export const POST = apiRoute(async (req: Request) => {
  const reply = await handleSlackInteraction({
    rawBody: await readRawBody(req),
    timestamp: req.headers.get(SLACK_TIMESTAMP_HEADER),
    signature: req.headers.get(SLACK_SIGNATURE_HEADER),
  });
  return reply.body ? json(reply.body) : new Response(null, { status: 200 });
});

export const { GET, PUT, PATCH, DELETE } = refuseOtherMethods("POST");
