// `--aws`: the agent proves who it is with its AWS IAM role (the standard AWS credential chain)
// instead of COUNTERSIGN_KEY. The server id and STS region must be the server's; both default to
// what the server defaults to (the host of its URL; us-east-1), and the environment can say otherwise.
import { awsCredentials } from "../credentials/aws.js";
import { UsageError } from "./exit-codes.js";

export const AWS_OPTION_HELP =
  "authenticate with this machine's AWS IAM role (AWS credential chain) instead of COUNTERSIGN_KEY; " +
  "COUNTERSIGN_SERVER_ID, COUNTERSIGN_AWS_REGION and COUNTERSIGN_AWS_STS_ENDPOINT as on the server";

/** The AWS credential provider the environment describes, or a UsageError naming what is wrong. */
export function awsCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): ReturnType<typeof awsCredentials> {
  const url = env.COUNTERSIGN_URL;
  if (!url) throw new UsageError("COUNTERSIGN_URL is not set (the Countersign server, e.g. https://countersign.example.com).");
  let serverId = env.COUNTERSIGN_SERVER_ID;
  if (!serverId) {
    try {
      serverId = new URL(url).host;
    } catch {
      throw new UsageError(`COUNTERSIGN_URL: ${JSON.stringify(url)} is not a URL.`);
    }
  }
  const stsEndpoint = env.COUNTERSIGN_AWS_STS_ENDPOINT || undefined;
  if (stsEndpoint && !URL.canParse(stsEndpoint)) throw new UsageError(`COUNTERSIGN_AWS_STS_ENDPOINT: ${JSON.stringify(stsEndpoint)} is not a URL.`);
  const region = env.COUNTERSIGN_AWS_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  return awsCredentials({ serverId, region, ...(stsEndpoint ? { stsEndpoint } : {}) });
}
