// @countersign/sdk: a human countersignature on an agent's privileged action, in one call.
//
//   const cs = new Countersign({ url, key });
//   await cs.withApproval({ action: "db.migrate", resource: "orders", environment: "production",
//     intent: "Add the index", context: { sql } }, async (grant) => runMigration(sql, grant.token));
export { Countersign, outcome, type CountersignOptions, type WaitOptions, type WithApprovalOptions } from "./client.js";
export {
  ApiError,
  CancelledError,
  ConnectionError,
  CountersignError,
  DeniedError,
  ExpiredError,
  GrantVerificationError,
  OutcomeError,
  RefusedByPolicyError,
  WaitTimeoutError,
} from "./errors.js";
export { assertGrant, GRANT_TYP, verifyGrant, type GrantExpectations, type GrantFailure, type GrantVerification, type VerifyGrantOptions } from "./grant.js";
export { canonicalParameters, paramsHash } from "./params.js";
export { Reviewer, type ReviewerOptions, type ReviewList, type ReviewView, type VoteRefusal } from "./reviewer.js";
export type {
  ApprovalRequest,
  ApprovedParameters,
  ExecutedRequest,
  Grant,
  GrantClaims,
  JsonObject,
  PolicyDecision,
  RequestStatus,
  RequestView,
  ResultStatus,
  Review,
  RiskLevel,
} from "./types.js";
export type { Transport } from "./wait.js";
// Workload identity, AWS IAM: the signed GetCallerIdentity request as the agent's credential.
export { AWS_SUBJECT_TOKEN_TYPE, awsCredentials, signGetCallerIdentity } from "./credentials/aws.js";
export type { AwsCredentialsOptions, AwsCredentialValues, SignedGetCallerIdentity } from "./credentials/aws.js";
// Workload identity: agents without static keys (an OIDC token exchanged for short-lived agent tokens).
export { exchangedCredentials, staticKey, type CredentialProvider, type SubjectTokenSource } from "./credentials/provider.js";
export { JWT_SUBJECT_TOKEN_TYPE, oidcCredentials, type OidcCredentialsOptions } from "./credentials/oidc.js";
