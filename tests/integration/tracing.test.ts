// OpenTelemetry traces (issue 15), exported to a local OTLP/HTTP receiver that decodes what the
// real exporter sends (OTLP JSON: ids in hex, attributes as typed values): an agent call's span
// continues the agent's `traceparent` and carries the request id; a decision has a span of its own;
// a malformed traceparent starts a new trace and changes nothing else; tracing off exports nothing.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/config/env";
import { flushTracing, startTracing, stopTracing, tracingEnabled } from "@/lib/observability/tracing";
import { apiRequest, callAgentApi, decideAs, makeAgent, oncall, requestBody } from "../support/fixtures";

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
};
type OtlpExport = { resourceSpans: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };

const received: { path: string; contentType: string; body: OtlpExport }[] = [];
let receiver: http.Server;
let endpoint: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "", body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stopTracing();
  await new Promise((resolve) => receiver.close(resolve));
});

const spans = () => received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
};
const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("tracing", () => {
  it("is off by default: nothing is exported", async () => {
    expect(tracingEnabled()).toBe(false);
    const a = await makeAgent();
    const res = await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: a.key, body: requestBody(), headers: { traceparent: `00-${hex(16)}-${hex(8)}-01` } }));
    expect(res.status).toBe(201);
    await flushTracing();
    expect(received).toHaveLength(0);
  });

  it("an agent call's span continues the incoming traceparent and carries the request id; a decision has its span", async () => {
    startTracing(parseEnv({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "countersign-test" }));
    expect(tracingEnabled()).toBe(true);
    const traceId = hex(16);
    const parentSpanId = hex(8);
    const a = await makeAgent();
    const body = requestBody();
    const res = await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: a.key, body, headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } }));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; action: string };
    // A call without a traceparent starts a trace of its own.
    const read = await callAgentApi(apiRequest("GET", `/api/v1/requests/${created.id}`, { key: a.key }));
    expect(read.status).toBe(200);
    await decideAs(created.id, oncall(), "approve", "ok", "slack");
    await flushTracing();

    expect(received.every((r) => r.path === "/v1/traces" && r.contentType.startsWith("application/json"))).toBe(true);
    const service = received[0]!.body.resourceSpans[0]!.resource?.attributes?.find((x) => x.key === "service.name")?.value.stringValue;
    expect(service).toBe("countersign-test");

    const create = spans().find((s) => s.name === "POST /api/v1/requests");
    expect(create).toBeDefined();
    expect(create!.traceId).toBe(traceId);
    expect(create!.parentSpanId).toBe(parentSpanId);
    expect(create!.kind).toBe(2); // SERVER
    expect(attr(create!, "countersign.request.id")).toBe(created.id);
    expect(attr(create!, "gen_ai.tool.call.id")).toBe(created.id);
    expect(attr(create!, "gen_ai.tool.name")).toBe(body.action);
    expect(attr(create!, "http.route")).toBe("/api/v1/requests");
    expect(attr(create!, "http.response.status_code")).toBe(201);
    expect(attr(create!, "countersign.operation")).toBe("createRequest");

    const get = spans().find((s) => s.name === "GET /api/v1/requests/{id}");
    expect(get).toBeDefined();
    expect(get!.traceId).not.toBe(traceId);
    expect(get!.parentSpanId ?? "").toBe("");
    expect(attr(get!, "countersign.request.id")).toBe(created.id);

    const decide = spans().find((s) => s.name === "countersign.decide");
    expect(decide).toBeDefined();
    expect(attr(decide!, "countersign.request.id")).toBe(created.id);
    expect(attr(decide!, "countersign.decision.vote")).toBe("approve");
    expect(attr(decide!, "countersign.decision.channel")).toBe("slack");
    expect(attr(decide!, "countersign.request.status")).toBe("approved");
  });

  it("a malformed or hostile traceparent starts a new trace; the call is answered as without one", async () => {
    const a = await makeAgent();
    const bad = ["00-zz-11-01", `00-${"0".repeat(32)}-${hex(8)}-01`, `ff-${hex(16)}-${hex(8)}-01`, `00-${hex(16)}-${hex(8)}-01-extra`, "x".repeat(5000)];
    for (const traceparent of bad) {
      received.length = 0;
      const res = await callAgentApi(apiRequest("GET", "/api/v1/requests/not-a-uuid", { key: a.key, headers: { traceparent } }));
      expect(res.status, traceparent.slice(0, 40)).toBe(404);
      await flushTracing();
      const span = spans().find((s) => s.name === "GET /api/v1/requests/{id}");
      expect(span).toBeDefined();
      expect(span!.parentSpanId ?? "").toBe("");
      expect(span!.traceId).not.toBe("0".repeat(32));
      expect(attr(span!, "countersign.request.id")).toBeUndefined(); // not a request id: not recorded as one
    }
  });
});
