// The AWS IAM half as the token endpoint (/api/v1/token, subject_token_type
// urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity) plugs it in: verify the
// signed GetCallerIdentity against this server's STS settings, then map the ARN with the active
// policy's aws_identities. Wired once at start-up: useAwsIdentity(awsTokenSubject).
import { getActivePolicy } from "@/lib/policy/load";
import { matchAwsIdentity } from "@/lib/policy/aws-identities";
import { awsIdentitySettings, verifyAwsIdentity, type AwsIdentity, type SignedAwsRequest } from "./aws-identity";

export const awsTokenSubject = {
  /** STS's word on who signed it; settings are read per call so a test's environment applies. */
  verify: (signed: SignedAwsRequest): Promise<AwsIdentity> => verifyAwsIdentity(signed, awsIdentitySettings()),
  match: async (arn: string): Promise<{ agent: string; rule: number } | null> => matchAwsIdentity(await getActivePolicy(), arn),
};

/**
 * The AWS IAM half as the token endpoint and the agent-token check use it; useAwsIdentity() swaps
 * it (null: AWS identities refused).
 */
export type AwsIdentityBackend = {
  verify(signed: { method: string; url: string; headers: Record<string, string>; body: string }): Promise<{ arn: string; account: string; signedAt?: Date }>;
  match(arn: string): Promise<{ agent: string } | null>;
};
let backend: AwsIdentityBackend | null = awsTokenSubject;
export function useAwsIdentity(next: AwsIdentityBackend | null): void {
  backend = next;
}
export const awsIdentityBackend = (): AwsIdentityBackend | null => backend;
