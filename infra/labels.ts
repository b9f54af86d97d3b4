/**
 * The recommended `app.kubernetes.io/*` labels, and the one table of workloads that both the workloads and the
 * NetworkPolicies select by: a policy can only match a pod if both sides build the selector the same way.
 */
export const PART_OF = "football-prediction";

export interface Workload {
  /** `app.kubernetes.io/name`: the application running in the pod. */
  readonly name: string;
  /** `app.kubernetes.io/component`: its role in this system. */
  readonly component: string;
}

export const workloads = {
  api: { name: "football-prediction", component: "api" },
  web: { name: "football-prediction", component: "web" },
  worker: { name: "football-prediction", component: "worker" },
  migration: { name: "football-prediction", component: "migration" },
  backup: { name: "football-prediction", component: "backup" },
  importer: { name: "football-prediction", component: "importer" },
  /** CloudNativePG's instances (and the operator's Jobs for them): the Cluster's `inheritedMetadata`. */
  postgres: { name: "postgresql", component: "database" },
  /** The Cluster's PgBouncer Pooler. */
  pooler: { name: "pgbouncer", component: "database-pooler" },
  redis: { name: "redis", component: "cache" },
  rateLimitRedis: { name: "redis", component: "rate-limits" },
  postgresExporter: { name: "postgres-exporter", component: "metrics-exporter" },
  redisExporter: { name: "redis-exporter", component: "metrics-exporter" },
} as const satisfies Record<string, Workload>;

export type WorkloadKey = keyof typeof workloads;

export type Labels = Record<string, string>;

/**
 * Labels a selector may use: stable for the life of the workload, so `version` is left out (a Deployment's
 * selector is immutable and would otherwise force a replacement on every release).
 */
export function selectorLabels(instance: string, workload: Workload): Labels {
  return {
    "app.kubernetes.io/name": workload.name,
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": workload.component,
  };
}

/** The full recommended set for an object's metadata and a pod template. */
export function objectLabels(instance: string, workload: Workload, version?: string): Labels {
  return {
    ...selectorLabels(instance, workload),
    ...(version === undefined ? {} : { "app.kubernetes.io/version": version }),
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * Labels of a StatefulSet's `volumeClaimTemplates`: no version, as the templates are immutable (a changed label
 * replaces the StatefulSet) and a claim outlives every release of its workload.
 */
export function claimLabels(instance: string, workload: Workload): Labels {
  return objectLabels(instance, workload);
}

/** Labels for objects that belong to the whole instance rather than one workload (namespace, quota, issuers). */
export function instanceLabels(instance: string, component: string): Labels {
  return objectLabels(instance, { name: PART_OF, component });
}

/** Kubernetes label values allow at most 63 characters of `[A-Za-z0-9_.-]`; image tags may be longer. */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}
