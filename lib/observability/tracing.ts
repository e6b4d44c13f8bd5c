// OpenTelemetry traces, off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTLP/HTTP with JSON bodies). Off, no provider is registered
// and every entry point here is one boolean test before the untraced call: no span objects, no
// context, no extra await on the agent API's hot path. On, one span per agent API call (continuing
// the agent's incoming `traceparent`) and one per human decision, exported in batches.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { Env } from "@/lib/config/env";
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";

type Holder = { tracer?: Tracer; provider?: NodeTracerProvider };
const holder = processWide<Holder>("observability-tracing", () => ({}));

/** Where spans go: the traces endpoint as given, else the base endpoint's /v1/traces (as the OTLP spec says). */
export function tracesEndpoint(config: Pick<Env, "OTEL_EXPORTER_OTLP_ENDPOINT" | "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" | "OTEL_SDK_DISABLED">): string | undefined {
  if (config.OTEL_SDK_DISABLED) return undefined;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return undefined;
}

/** Registers the tracer provider once per process when an endpoint is configured; a no-op otherwise. */
export function startTracing(config: Env): void {
  const url = tracesEndpoint(config);
  if (!url || holder.tracer) return;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    // OTEL_EXPORTER_OTLP_HEADERS (an API key for a hosted collector) is read by the exporter itself.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // Also the W3C trace-context propagator and the AsyncLocalStorage context manager.
  provider.register();
  holder.provider = provider;
  holder.tracer = provider.getTracer("countersign");
  log.info({ endpoint: url }, "exporting OpenTelemetry traces");
}

export function tracingEnabled(): boolean {
  return holder.tracer !== undefined;
}

/** Sends every finished span now (shutdown, tests). */
export async function flushTracing(): Promise<void> {
  await holder.provider?.forceFlush();
}

/** Ends the spans' export and unregisters the provider (tests; the process's shutdown). */
export async function stopTracing(): Promise<void> {
  const provider = holder.provider;
  holder.provider = undefined;
  holder.tracer = undefined;
  if (!provider) return;
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
}

const headerGetter = {
  keys: (h: Headers) => [...h.keys()],
  get: (h: Headers, key: string) => h.get(key) ?? undefined,
};

/** Runs `fn` inside a span. Only call when tracingEnabled(); records a thrown error and rethrows it. */
async function inSpan<T>(name: string, options: { kind: SpanKind; attributes: Attributes; parent?: Headers }, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ? propagation.extract(ROOT_CONTEXT, options.parent, headerGetter) : context.active();
  return holder.tracer!.startActiveSpan(name, { kind: options.kind, attributes: options.attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A SERVER span around one agent API call, child of the caller's `traceparent` when it sent one. */
export function traceIncomingCall(req: Request, name: string, attributes: Attributes, answer: () => Promise<Response>, annotate: (span: Span, res: Response) => Promise<void>): Promise<Response> {
  return inSpan(name, { kind: SpanKind.SERVER, attributes, parent: req.headers }, async (span) => {
    const res = await answer();
    await annotate(span, res);
    return res;
  });
}

/** An INTERNAL span around a core operation (a decision), child of whatever span is active. */
export function traceOperation<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracingEnabled() ? inSpan(name, { kind: SpanKind.INTERNAL, attributes }, fn) : fn(NOOP_SPAN);
}

/** What a caller gets to annotate when tracing is off: setting attributes on it does nothing. */
const NOOP_SPAN: Span = trace.wrapSpanContext({ traceId: "00000000000000000000000000000000", spanId: "0000000000000000", traceFlags: 0 });
