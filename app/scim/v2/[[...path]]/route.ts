// /scim/v2/* under Next.js: every method goes to the SCIM door's one routing table
// (app/scim/_lib/scim-api.ts). `npm start` reaches it too: server.ts hands every path but /api/v1
// to Next.js.
import { scimApi } from "../../_lib/scim-api";

const handle = (req: Request) => scimApi.fetch(req);

export { handle as DELETE, handle as GET, handle as HEAD, handle as OPTIONS, handle as PATCH, handle as POST, handle as PUT };
