// The zone the viewer reads times in: UTC, or the browser zone they chose with the toggle
// (components/console/time-zone-toggle.tsx), which the cookie names.
import { cookies } from "next/headers";
import { DISPLAY_ZONE_COOKIE, parseDisplayZone } from "@/lib/format/time";

export async function getDisplayZone(): Promise<string> {
  return parseDisplayZone((await cookies()).get(DISPLAY_ZONE_COOKIE)?.value);
}
