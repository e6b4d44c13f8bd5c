// AWS IAM credentials for Countersign: sign an sts:GetCallerIdentity request with the agent's own
// AWS credentials (the standard chain: env, SSO, web identity, ECS/EKS, EC2 instance role…), with
// our server id bound into the signature, and hand the signed request to Countersign. Countersign
// forwards it to STS, which says who signed it; the secret key never leaves this process. The AWS
// libraries are loaded on first use so that commands not using --aws do not pay for them.

/** The token type Countersign's /api/v1/token reads a signed GetCallerIdentity request from. */
export const AWS_SUBJECT_TOKEN_TYPE = "urn:countersign:params:oauth:token-type:aws-sts-get-caller-identity";
/** The header whose value (the server id) is signed, so the request is good for one Countersign only. */
export const SERVER_ID_HEADER = "x-countersign-server-id";
const GET_CALLER_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15";

export type AwsCredentialValues = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** What the agent sends (JSON, base64url) as the subject token: the request STS is to receive. */
export type SignedGetCallerIdentity = { method: "POST"; url: string; headers: Record<string, string>; body: string };

export type AwsCredentialsOptions = {
  /** The server's id (its COUNTERSIGN_SERVER_ID; by default the host of its public URL). */
  serverId: string;
  /** The region of the STS endpoint the server asks (its COUNTERSIGN_AWS_REGION); default AWS_REGION, else us-east-1. */
  region?: string;
  /** The server's STS endpoint when it is not https://sts.<region>.amazonaws.com/ (its COUNTERSIGN_AWS_STS_ENDPOINT). */
  stsEndpoint?: string;
  /** Credentials to sign with instead of the standard AWS chain (tests, or credentials already at hand). */
  credentials?: AwsCredentialValues | (() => Promise<AwsCredentialValues>);
};

export function stsEndpointFor(region: string): string {
  return `https://sts.${region}.amazonaws.com/`;
}

/** A GetCallerIdentity request signed (SigV4) for `stsEndpoint`, with `serverId` in a signed header. */
export async function signGetCallerIdentity(opts: {
  credentials: AwsCredentialValues;
  region: string;
  serverId: string;
  stsEndpoint: string;
  /** The signing time (tests); default now. */
  date?: Date;
}): Promise<SignedGetCallerIdentity> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import("@smithy/signature-v4"), import("@aws-crypto/sha256-js")]);
  const url = new URL(opts.stsEndpoint);
  const signer = new SignatureV4({ credentials: opts.credentials, region: opts.region, service: "sts", sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        [SERVER_ID_HEADER]: opts.serverId,
      },
      body: GET_CALLER_IDENTITY,
    },
    { signingDate: opts.date ?? new Date() },
  );
  return { method: "POST", url: url.href, headers: { ...signed.headers }, body: GET_CALLER_IDENTITY };
}

/** The agent's AWS credentials from the standard chain (what the AWS CLI and SDKs would use). */
async function credentialChain(): Promise<AwsCredentialValues> {
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  return defaultProvider()();
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/**
 * AWS IAM as the agent's credential: each call signs a fresh GetCallerIdentity request (good for
 * 15 minutes, for this server only) and returns it as the subject token for /api/v1/token.
 */
export function awsCredentials(opts: AwsCredentialsOptions) {
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const stsEndpoint = opts.stsEndpoint ?? stsEndpointFor(region);
  const source = opts.credentials;
  const credentials = async (): Promise<AwsCredentialValues> =>
    typeof source === "function" ? source() : (source ?? credentialChain());
  return {
    kind: "aws" as const,
    subjectTokenType: AWS_SUBJECT_TOKEN_TYPE,
    /** The signed request as it is sent: JSON, then base64url. */
    async subjectToken(): Promise<string> {
      const signed = await signGetCallerIdentity({ credentials: await credentials(), region, serverId: opts.serverId, stsEndpoint });
      return base64url(JSON.stringify(signed));
    },
  };
}
