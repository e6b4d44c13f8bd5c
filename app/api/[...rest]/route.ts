// Any /api path no route answers: the JSON envelope's 404 (never Next's HTML page), whatever the method.
import { noSuchApiRoute } from "../_lib/http";

export { noSuchApiRoute as DELETE, noSuchApiRoute as GET, noSuchApiRoute as HEAD, noSuchApiRoute as OPTIONS, noSuchApiRoute as PATCH, noSuchApiRoute as POST, noSuchApiRoute as PUT };
