// GET /api/health — 200 only when the database answers; 503 while draining for shutdown.
import { pingDatabase } from "@/db/queries/health";
import { getDatabase } from "@/db/client";
import { isDraining } from "@/lib/realtime/request-changes";
import { refuseOtherMethods } from "../_lib/http";

export async function GET(): Promise<Response> {
  if (isDraining()) return Response.json({ status: "draining" }, { status: 503 });
  try {
    const handle = await getDatabase();
    await pingDatabase(handle.db);
    return Response.json({ status: "ok", database: handle.kind }, { headers: { "cache-control": "no-store" } });
  } catch {
    return Response.json(
      { status: "unavailable", error: { code: "unavailable", message: "The database is not answering." } },
      { status: 503 },
    );
  }
}

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
