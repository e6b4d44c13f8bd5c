// /api/v1/* under Next.js: every method goes to the agent API's one routing table
// (app/api/_lib/agent-api.ts), the same one server.ts answers on its direct path. Put no other
// route file under app/api/v1: `npm start` would never reach it.
import { agentApi } from "../../_lib/agent-api";

const handle = (req: Request) => agentApi.fetch(req);

export { handle as DELETE, handle as GET, handle as HEAD, handle as OPTIONS, handle as PATCH, handle as POST, handle as PUT };
