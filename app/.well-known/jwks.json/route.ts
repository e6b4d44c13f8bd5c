// GET /.well-known/jwks.json — the public keys (Ed25519) that verify Countersign's grants, chain
// checkpoints and export trailers: the active key and any retired ones, so old proofs still verify.
import { keyRing } from "@/lib/evidence/keys";

export async function GET(): Promise<Response> {
  const { jwks } = await keyRing();
  return Response.json(jwks, { headers: { "cache-control": "public, max-age=300", "content-type": "application/jwk-set+json" } });
}
