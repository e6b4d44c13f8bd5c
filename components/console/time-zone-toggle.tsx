"use client";
// UTC or the browser's own zone for the times on the console's pages. UTC is the default (and
// what exports are written in); "Local" stores the browser's IANA zone in a cookie, and the server
// renders times in it, so the text is the same before and after hydration.
import { useRouter } from "next/navigation";
import { useEffect, useId, useSyncExternalStore, useTransition } from "react";
import { DISPLAY_ZONE_COOKIE, UTC_ZONE, zoneName } from "@/lib/format/time";

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
const noSubscription = () => () => {};

function writeCookie(zone: string | null) {
  document.cookie =
    zone === null
      ? `${DISPLAY_ZONE_COOKIE}=; path=/; max-age=0; samesite=lax`
      : `${DISPLAY_ZONE_COOKIE}=${encodeURIComponent(zone)}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
}

export function TimeZoneToggle({ zone }: { zone: string }) {
  const router = useRouter();
  const name = useId();
  const [pending, startTransition] = useTransition();
  // Known only in the browser: the server renders "Local" and the browser adds the zone's name.
  const local = useSyncExternalStore(noSubscription, browserZone, () => null);
  const isLocal = zone !== UTC_ZONE;

  const choose = (next: "utc" | "local") => {
    writeCookie(next === "utc" ? null : browserZone());
    startTransition(() => router.refresh());
  };

  // A local choice follows the browser (a laptop that travelled): refresh the stored zone.
  useEffect(() => {
    if (isLocal && local && local !== zone) {
      writeCookie(local);
      startTransition(() => router.refresh());
    }
  }, [isLocal, local, zone, router]);

  const option = (value: "utc" | "local", label: string, checked: boolean) => (
    <label
      className={`cursor-pointer rounded px-2.5 py-1 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-1 has-[:focus-visible]:outline-indigo-600 ${
        checked ? "bg-white font-medium text-slate-900 shadow-xs ring-1 ring-slate-300" : "text-slate-600 hover:text-slate-900"
      }`}
    >
      <input type="radio" name={name} value={value} checked={checked} onChange={() => choose(value)} className="sr-only" />
      {label}
    </label>
  );

  return (
    <fieldset
      data-testid="time-zone-toggle"
      data-zone={zone}
      aria-busy={pending}
      className="inline-flex items-center gap-2 text-sm"
    >
      <legend className="sr-only">Show times in</legend>
      <span aria-hidden className="text-xs font-medium text-slate-600">
        Times
      </span>
      <span className="inline-flex rounded-md bg-slate-100 p-0.5">
        {option("utc", "UTC", !isLocal)}
        {option("local", `Local${isLocal ? ` (${zoneName(zone)})` : local ? ` (${zoneName(local)})` : ""}`, isLocal)}
      </span>
    </fieldset>
  );
}
