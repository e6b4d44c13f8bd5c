// The request's authenticated origin: the workload identity the agent proved when it filed (set by
// the server from a verified token), shown apart from the origin the agent declared about itself.
import { Field } from "@/components/console/card";
import type { RequestView } from "@/lib/requests/schema";

export function WorkloadOrigin({ identity }: { identity: RequestView["workload_identity"] }) {
  if (!identity) return <Field label="Authenticated with" testId="workload-identity">a static agent key</Field>;
  if (identity.kind === "aws") {
    return (
      <Field label="Authenticated as (AWS IAM)" testId="workload-identity">
        <span className="break-all font-mono text-xs">{identity.arn}</span>
      </Field>
    );
  }
  const claims = { ...identity.claims, ...identity.context };
  return (
    <>
      <Field label="Authenticated as (OIDC)" testId="workload-identity">
        <span className="break-all font-mono text-xs" data-testid="workload-subject">{identity.subject}</span>
        <span className="block break-all text-xs text-slate-500" data-testid="workload-issuer">{identity.issuer}</span>
      </Field>
      {Object.entries(claims).map(([claim, value]) => (
        <Field key={claim} label={`verified ${claim.replaceAll("_", " ")}`} testId={`workload-claim-${claim}`}>
          <span className="break-all font-mono text-xs">{value}</span>
        </Field>
      ))}
    </>
  );
}
