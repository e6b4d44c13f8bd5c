// The gate's credential flags: a static key (COUNTERSIGN_KEY) by default, or a workload identity
// exchanged for short-lived agent tokens — an OIDC token file (Kubernetes' projected token) or
// GitHub Actions' OIDC token — or AWS IAM (--aws: a signed GetCallerIdentity, see aws-option.ts).
import type { Command } from "commander";
import { oidcCredentials } from "../credentials/oidc.js";
import type { SubjectTokenSource } from "../credentials/provider.js";
import { AWS_OPTION_HELP, awsCredentialsFromEnv } from "./aws-option.js";
import { UsageError } from "./exit-codes.js";

export type CredentialFlags = { oidcTokenFile?: string; githubActionsOidc?: string | true; aws?: boolean };

/** The audience a GitHub Actions token is requested for when the flag names none. */
export const DEFAULT_OIDC_AUDIENCE = "countersign";

export function addCredentialOptions(command: Command): Command {
  return command
    .option("--oidc-token-file <path>", "authenticate with the OIDC token in this file (re-read on refresh), e.g. a Kubernetes projected service account token")
    .option("--github-actions-oidc [audience]", `authenticate with GitHub Actions' OIDC token for this audience (default ${DEFAULT_OIDC_AUDIENCE}; needs permissions: id-token: write)`)
    .option("--aws", AWS_OPTION_HELP);
}

/** The workload identity the flags name, or undefined for the static key; both at once is a usage error. */
export function workloadCredentials(flags: CredentialFlags): SubjectTokenSource | undefined {
  if ([flags.oidcTokenFile, flags.githubActionsOidc, flags.aws].filter((f) => f !== undefined).length > 1) {
    throw new UsageError("Use one of --oidc-token-file, --github-actions-oidc and --aws, not several.");
  }
  if (flags.aws) return awsCredentialsFromEnv();
  if (flags.oidcTokenFile !== undefined) return oidcCredentials({ tokenFile: flags.oidcTokenFile });
  if (flags.githubActionsOidc !== undefined) {
    const audience = flags.githubActionsOidc === true ? DEFAULT_OIDC_AUDIENCE : flags.githubActionsOidc;
    return oidcCredentials({ githubActions: { audience } });
  }
  return undefined;
}
