"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

/**
 * Re-renders the page's server components when requests change anywhere (Server-Sent Events from
 * /api/console/stream, driven by PostgreSQL NOTIFY). Shows whether the live link is up.
 */
export function LiveRefresh({ requestId }: { requestId?: string }) {
  const router = useRouter();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const url = requestId ? `/api/console/stream?request=${encodeURIComponent(requestId)}` : "/api/console/stream";
    const source = new EventSource(url);
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.addEventListener("change", () => {
      clearTimeout(timer);
      timer = setTimeout(() => router.refresh(), 150);
    });
    // The session ended (signed out elsewhere, idle, ended by an admin): reload, which signs us out here.
    source.addEventListener("session-ended", () => {
      source.close();
      window.location.reload();
    });
    return () => {
      clearTimeout(timer);
      source.close();
    };
  }, [router, requestId]);
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-600" role="status" aria-live="polite">
      <span aria-hidden className={`size-2 rounded-full ${live ? "bg-emerald-500" : "bg-slate-300"}`} />
      {live ? "Live" : "Connecting…"}
    </span>
  );
}
