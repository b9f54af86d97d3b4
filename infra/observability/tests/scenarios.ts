import { jobs, type ObservabilitySettings } from "../settings";

/**
 * The vocabulary of the alert rules' unit tests (`promtool test rules`): input series, and scenarios in which an
 * alert must fire or stay quiet. Every series is about the stack's namespace unless a scenario says otherwise,
 * as the cluster's one Prometheus holds every environment's series.
 */

export interface InputSeries {
  series: string;
  values: string;
}

export interface FiringScenario {
  name: string;
  series: InputSeries[];
  /** When the alert must be firing. */
  evalAt: string;
  /** The alert's labels besides alertname, severity, subsystem and the stack's own (alertLabels). */
  labels: Record<string, string>;
  /** A time when the condition already holds but `for` has not passed, so the alert must not fire yet. */
  pendingAt: string;
}

export interface QuietScenario {
  name: string;
  series: InputSeries[];
  evalAt: string;
}

export interface AlertCase {
  fires: FiringScenario[];
  quiet: QuietScenario[];
  /**
   * Minutes between samples and between rule evaluations (default 1). promtool evaluates the rule at every
   * step up to the last eval time, so alerts whose `for` lasts days use a coarser step; their eval times
   * must then be multiples of it.
   */
  stepMinutes?: number;
}

export type Labels = Record<string, string>;

/** A namespace no stack uses: another environment's series sharing the cluster's Prometheus. */
export const OTHER_NAMESPACE = "another-team";

/** Label selector text, e.g. `{job="x",pod="y"}`. */
function selector(labels: Labels): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

export function series(metric: string, labels: Labels, values: string): InputSeries {
  return { series: `${metric}${selector(labels)}`, values };
}

/** The same series, reported about another namespace. */
export function elsewhere(input: InputSeries[], namespace: string): InputSeries[] {
  return input.map((s) => ({ ...s, series: s.series.replace(`namespace="${namespace}"`, `namespace="${OTHER_NAMESPACE}"`) }));
}

/** A gauge holding one value for `samples` samples (a minute apart unless the case sets stepMinutes). */
export function flat(value: number, samples = 60): string {
  return `${value}+0x${samples}`;
}

/** A counter growing by `perMinute` each one-minute sample. */
export function counter(perMinute: number, samples = 60): string {
  return `0+${perMinute}x${samples}`;
}

/** An alert that must be pending (not firing) at `pendingAt` and firing with `labels` at `evalAt`. */
export function fire(name: string, input: InputSeries[], pendingAt: string, evalAt: string, labels: Labels = {}): FiringScenario {
  return { name, series: input, pendingAt, evalAt, labels };
}

export function quiet(name: string, input: InputSeries[], evalAt: string): QuietScenario {
  return { name, series: input, evalAt };
}

/** A value halfway between the threshold and 1, for ratios that must fire. */
export function above(ratio: number): number {
  return ratio + (1 - ratio) / 2;
}

/** The database the backup scenarios are about. */
export const database = "football_prediction";

/** The labels of each source's series about the stack's namespace, as the monitors and the Pushgateway keep them. */
export function labelsOf(s: ObservabilitySettings) {
  const namespace = s.namespace;
  const svc = { job: jobs.service, namespace, component: "api", pod: "api-a" };
  return {
    svc,
    worker: { ...svc, component: "worker", pod: "worker-a" },
    web: { ...svc, component: "web", pod: "web-a" },
    pg: { job: jobs.postgresExporter, namespace, pod: "postgresql-0" },
    redis: { job: jobs.redisExporter, namespace, pod: "redis-0" },
    cnpg: { job: jobs.cloudnativePg, namespace },
    backup: { job: jobs.backup, namespace, database },
    importer: { job: jobs.importer, namespace, league: "E0" },
    kubeState: { job: jobs.kubeStateMetrics, namespace },
    // The metrics_path label kube-prometheus-stack's kubelet ServiceMonitor sets on each endpoint.
    kubelet: { job: jobs.kubelet, metrics_path: "/metrics", namespace },
    cadvisor: { job: jobs.kubelet, metrics_path: "/metrics/cadvisor", namespace },
  };
}
