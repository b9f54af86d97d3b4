/**
 * Deployment readiness of a platform stack, as infra/readiness.ts is for an environment: the committed cluster
 * files carry placeholders a team replaces (the ACME account's email, the Elasticsearch endpoint and its
 * addresses, open API-server ranges). A preview warns about each, naming stack and key; `pulumi up` refuses.
 * `local` (kind on a workstation) is exempt, as `dev` is for environments.
 */
import { ANYWHERE, PLACEHOLDER_DOMAINS, underDomain } from "../infra/readiness";
import type { PlatformSettings } from "./config";
import { PLATFORM_PROJECT } from "./outputs";

/** The Elasticsearch endpoint the shipped cluster files name: an example, not a cluster's real one. */
export const PLACEHOLDER_ELASTICSEARCH = { host: "elasticsearch.logging.svc.cluster.local", cidr: "10.0.0.0/8" } as const;

const EXEMPT_STACKS = new Set(["local"]);

export function platformReadinessProblems(stack: string, settings: PlatformSettings): string[] {
  if (EXEMPT_STACKS.has(stack)) return [];
  const problems: Array<{ key: string; problem: string }> = [];
  const email = settings.certManager.acme?.email;
  const emailDomain = email?.split("@")[1] ?? "";
  if (email !== undefined && PLACEHOLDER_DOMAINS.some((domain) => underDomain(emailDomain, domain))) {
    problems.push({ key: "certManager.acme.email", problem: `is the placeholder ${email}: set the address Let's Encrypt writes to about expiring certificates` });
  }
  if (settings.cluster.apiServerCidrs.includes(ANYWHERE)) {
    problems.push({ key: "cluster.apiServerCidrs", problem: `holds ${ANYWHERE}: list the API server's addresses as pods see them` });
  }
  if (settings.logPipeline.enabled) {
    const { host, cidrs } = settings.logPipeline.elasticsearch;
    if (host === PLACEHOLDER_ELASTICSEARCH.host) {
      problems.push({ key: "logPipeline.elasticsearch.host", problem: `is the placeholder ${host}: set the cluster's Elasticsearch host` });
    }
    if (cidrs.includes(PLACEHOLDER_ELASTICSEARCH.cidr) || cidrs.includes(ANYWHERE)) {
      problems.push({ key: "logPipeline.elasticsearch.cidrs", problem: `holds a whole range (${cidrs.join(", ")}): list Elasticsearch's addresses` });
    }
  }
  return problems.map(({ key, problem }) => `stack "${stack}": config key "${PLATFORM_PROJECT}:${key}" ${problem}`);
}
