// The grant's claims: the contract between Countersign and the systems that act on a grant (README
// "Signed grants"). Pure zod, no crypto, so the wire schemas and client code can import it.
import { z } from "zod";
import { CHANNELS, POLICY_DECISIONS } from "@/lib/vocabulary";

/** The JWS header `typ` of a grant: tells it apart from anything else the same key signs (checkpoints, export trailers). */
export const GRANT_TYP = "countersign-grant+jwt";

/** `iss` when COUNTERSIGN_PUBLIC_URL is unset. */
export const DEFAULT_GRANT_ISSUER = "urn:countersign";

const numericDate = z.int().nonnegative().meta({ description: "Seconds since the epoch (RFC 7519 NumericDate)" });

export const grantClaims = z
  .object({
    iss: z.string().min(1).meta({ description: "COUNTERSIGN_PUBLIC_URL, or urn:countersign when unset" }),
    sub: z.uuid().meta({ description: "The request id" }),
    jti: z.uuid().meta({ description: "The grant's own id: POST /api/v1/grants/{jti}/redeem" }),
    iat: numericDate,
    nbf: numericDate,
    exp: numericDate.meta({ description: "The end of the request's grant window" }),
    agent: z.object({ id: z.uuid(), name: z.string() }),
    action: z.string(),
    resource: z.string(),
    environment: z.string(),
    params_hash: z.string().regex(/^[0-9a-f]{64}$/).meta({
      description: "SHA-256 (hex) of the RFC 8785 canonical JSON of {action, resource, environment, context}: recompute it from what you are about to apply",
    }),
    approvals: z
      .array(
        z.object({
          person_id: z.string(),
          name: z.string(),
          approved_at: z.iso.datetime(),
          channel: z.enum(CHANNELS),
        }),
      )
      .meta({ description: "The approving votes, in order; empty when the policy approved the request itself (policy.decision auto_approve)" }),
    policy: z.object({
      rule: z.string(),
      hash: z.string(),
      decision: z.enum(POLICY_DECISIONS),
    }),
  })
  .meta({ id: "GrantClaims", description: `The payload of a grant: a compact JWS, EdDSA, header typ ${GRANT_TYP}, verifiable with /.well-known/jwks.json.` });

export type GrantClaims = z.infer<typeof grantClaims>;
