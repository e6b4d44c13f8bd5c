"use client";

import { useEffect, useState } from "react";

function format(ms: number): string {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m left`;
  if (m > 0) return `${m}m ${s % 60}s left`;
  return `${s}s left`;
}

/** A deadline counting down in the viewer's browser. */
export function TimeLeft({ until }: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const ms = Date.parse(until) - now;
  const urgent = ms < 5 * 60_000;
  return (
    <time dateTime={until} suppressHydrationWarning className={urgent ? "font-medium text-rose-700" : "text-slate-600"}>
      {format(ms)}
    </time>
  );
}
