/**
 * Deployment readiness: what a stack's config must say before `pulumi up` may build it. The committed stack files
 * are the template a team fills in (their hosts, addresses and receivers are placeholders) and CI previews them as
 * they are, so these are not schema errors: during a preview each is a warning naming stack and key, and
 * `pulumi up` stops with all of them before anything is created. README "Before the first deployment" lists the
 * keys. The cluster's own facts (the API server's addresses, the ACME account's email, the log pipeline) are the
 * platform stack's config, not this one's.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "tldts";
import { PROJECT, StackConfigError, type Settings } from "./config";

/** The domains the shipped stack files use as placeholders; no team runs on them. */
export const PLACEHOLDER_DOMAINS = ["fp.local", "fp.com"] as const;
export const ANYWHERE = "0.0.0.0/0";
/** Second-level domains RFC 2606 reserves for documentation: no CA issues for them either. */
const RESERVED_DOMAINS = new Set(["example.com", "example.net", "example.org"]);

/** Config facts the settings do not hold: whether each secret config key has a value. */
export interface ReadinessFacts {
  isSet(key: "pagerRoutingKey" | "chatWebhookUrl"): boolean;
}

interface Problem {
  key: string;
  problem: string;
}

export function underDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * Whether a public CA (ACME: Let's Encrypt and the like) can issue for the host: its suffix must be on the public
 * suffix list's ICANN section, which `.local`, `.internal`, `.test`, `.example`, `.invalid`, `localhost` and any
 * private name are not.
 */
export function publiclyIssuable(host: string): boolean {
  const parsed = parse(host);
  return parsed.isIcann === true && parsed.domain !== null && !RESERVED_DOMAINS.has(parsed.domain);
}

function placeholderHost(host: string): boolean {
  return PLACEHOLDER_DOMAINS.some((domain) => underDomain(host, domain));
}

/** Every host the stack serves, with its config key. */
function hosts(settings: Settings): Array<{ key: string; host: string }> {
  return [{ key: "ingress.host", host: settings.ingress.host }];
}

/** Every CIDR list of the stack, with its config key. */
function cidrLists(settings: Settings): Array<{ key: string; cidrs: readonly string[] }> {
  return [
    { key: "ingress.proxyCidrs", cidrs: settings.ingress.proxyCidrs },
    { key: "importer.egressCidrs", cidrs: settings.importer.egressCidrs },
    ...(settings.backups.s3 === undefined ? [] : [{ key: "backups.s3.cidrs", cidrs: settings.backups.s3.cidrs }]),
  ];
}

function receiverProblems(settings: Settings, facts: ReadinessFacts): Problem[] {
  const env = settings.environment;
  if (env !== "staging" && env !== "prod") return [];
  if (!settings.monitoring.enabled) {
    return [{ key: "monitoring.enabled", problem: `must be true in ${env}: without it no alert reaches anyone` }];
  }
  return (["pagerRoutingKey", "chatWebhookUrl"] as const)
    .filter((key) => !facts.isSet(key))
    .map((key) => ({
      key,
      problem: `must be set in ${env}, or Alertmanager's receiver sends nowhere: pulumi config set --secret ${key} <value>`,
    }));
}

function backupProblems(settings: Settings): Problem[] {
  if (settings.environment !== "prod" || settings.backups.s3 !== undefined) return [];
  return [
    {
      key: "backups.s3",
      problem: "must be set in prod: backups on a claim in the stack's own namespace go with the namespace or the cluster (docs/backups.md)",
    },
  ];
}

/** The platform's ClusterIssuers that ask an ACME CA (platform/README.md); `self-signed` is the cluster's own CA. */
function acmeIssuer(settings: Settings): boolean {
  return settings.ingress.tls.issuer.startsWith("acme-");
}

function certificateProblems(settings: Settings): Problem[] {
  if (!acmeIssuer(settings)) return [];
  return hosts(settings)
    .filter(({ host }) => !publiclyIssuable(host))
    .map(({ key, host }) => ({
      key,
      problem: `is ${host}, which no public CA issues for (not under a public suffix), while ingress.tls.issuer is ${settings.ingress.tls.issuer}: use a public host name or the self-signed issuer`,
    }));
}

function placeholderProblems(settings: Settings): Problem[] {
  if (settings.environment === "dev") return [];
  const problems: Problem[] = hosts(settings)
    .filter(({ host }) => placeholderHost(host))
    .map(({ key, host }) => ({ key, problem: `is the placeholder ${host}: set the stack's own host name` }));
  for (const { key, cidrs } of cidrLists(settings)) {
    if (cidrs.includes(ANYWHERE)) {
      problems.push({ key, problem: `holds ${ANYWHERE}: list the addresses this traffic really goes to` });
    }
  }
  return problems;
}

/** Every readiness problem of the stack, as `stack "<stack>": config key "<project>:<key>" <problem>`. */
export function readinessProblems(stack: string, settings: Settings, facts: ReadinessFacts): string[] {
  return [
    ...receiverProblems(settings, facts),
    ...backupProblems(settings),
    ...certificateProblems(settings),
    ...placeholderProblems(settings),
  ].map(({ key, problem }) => `stack "${stack}": config key "${PROJECT}:${key}" ${problem}`);
}

/**
 * Warns about each problem during a preview; refuses `pulumi up` with all of them, before the program registers
 * anything. The platform project enforces its own problems the same way.
 */
export function enforceProblems(stack: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  if (pulumi.runtime.isDryRun()) {
    for (const problem of problems) {
      void pulumi.log.warn(`not ready to deploy: ${problem}`);
    }
    return;
  }
  throw new StackConfigError(
    [`stack "${stack}" is not ready to deploy (README, "Before the first deployment"):`, ...problems].join("\n"),
  );
}

export function enforceReadiness(stack: string, settings: Settings, facts: ReadinessFacts): void {
  enforceProblems(stack, readinessProblems(stack, settings, facts));
}
