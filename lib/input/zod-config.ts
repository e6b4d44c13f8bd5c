// zod compiles object schemas with `new Function` where it may, and probes for that ability once; a
// strict Content-Security-Policy (no 'unsafe-eval') reports the probe as a violation even though zod
// catches it. In the browser, schemas run interpreted instead. Imported for its effect by the zod
// modules the console's client components use; the server keeps the compiled fast path.
import { z } from "zod";

if (typeof window !== "undefined") z.config({ jitless: true });
