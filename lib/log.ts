// Structured JSON logs. Secrets are redacted by path wherever they might appear.
import pino from "pino";

export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "countersign" },
  redact: {
    paths: [
      "key",
      "*.key",
      "secret",
      "*.secret",
      "token",
      "*.token",
      "authorization",
      "*.authorization",
      "headers.authorization",
      "req.headers.authorization",
      "req.headers.cookie",
      "*.password",
      "*.secretHash",
      "*.clientSecret",
    ],
    censor: "[redacted]",
  },
  timestamp: pino.stdTimeFunctions.isoTime,
});
