import { z } from "zod";

/**
 * Where the commands that run once (backups, their verification, the import) push their metrics: one Pushgateway
 * group per job, keyed by grouping labels. The cluster's Pushgateway is shared by every environment on it, so a
 * push carries the environment's `namespace` as a grouping label (PUSHGATEWAY_NAMESPACE): one environment's push
 * never replaces another's group, and the scrape (honor_labels) keeps the label the alert rules select on.
 */
export interface PushTarget {
  url: string;
  /** The `namespace` grouping label; unset for a Pushgateway of one environment alone. */
  namespace?: string;
}

/** PUSHGATEWAY_NAMESPACE: a Kubernetes namespace name (a DNS label), so it needs no escaping in a path. */
export const pushgatewayNamespace = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a Kubernetes namespace name")
  .optional();

/** `<url>/metrics/job/<job>[/namespace/<ns>]/<label>/<value>...`, every value percent-encoded. */
export function pushgatewayGroupUrl(target: PushTarget, job: string, labels: Record<string, string> = {}): string {
  const grouping = { ...(target.namespace === undefined ? {} : { namespace: target.namespace }), ...labels };
  const path = Object.entries(grouping)
    .map(([name, value]) => `/${name}/${encodeURIComponent(value)}`)
    .join("");
  return `${target.url.replace(/\/+$/, "")}/metrics/job/${encodeURIComponent(job)}${path}`;
}
