import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "@/lib/config/env";
import { tracesEndpoint } from "./tracing";

describe("operations configuration", () => {
  it("is off by default: no metrics token, no traces endpoint, a 60 s seal-lag limit", () => {
    const config = parseEnv({});
    expect(config.COUNTERSIGN_METRICS_TOKEN).toBeUndefined();
    expect(config.COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS).toBe(60);
    expect(config.OTEL_SERVICE_NAME).toBe("countersign");
    expect(tracesEndpoint(config)).toBeUndefined();
  });

  it("sends traces to the traces endpoint as given, else to the base endpoint's /v1/traces; OTEL_SDK_DISABLED wins", () => {
    expect(tracesEndpoint(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }))).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://x.test/t" }))).toBe("https://x.test/t");
    expect(tracesEndpoint(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }))).toBeUndefined();
    expect(tracesEndpoint(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }))).toBeUndefined();
  });

  it("refuses a short metrics token, a traces endpoint that is not a URL and a seal-lag limit under 1 s", () => {
    expect(() => parseEnv({ COUNTERSIGN_METRICS_TOKEN: "short" })).toThrow(/COUNTERSIGN_METRICS_TOKEN: must be at least 32 characters/);
    expect(() => parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(EnvError);
    expect(() => parseEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://collector:4317" })).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
    expect(() => parseEnv({ COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS: "0" })).toThrow(/COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS/);
    expect(() => parseEnv({ OTEL_SDK_DISABLED: "yes" })).toThrow(/OTEL_SDK_DISABLED/);
  });
});
