/**
 * The API's way to PostgreSQL: CloudNativePG's `Pooler`, PgBouncer in transaction mode in front of the `-rw`
 * Service. The service holds no session state, so transaction pooling suits it; what it needs from PgBouncer is
 * docs/service-interface.md's list (`statement_timeout` ignored as a startup parameter: the database's default,
 * which `migrate` sets, bounds pooled sessions). The worker, the importer and the migration Job connect to `-rw`
 * directly: their statements need longer bounds than the pooled default.
 */
import type { DatabaseSettings } from "../../config";
import { PART_OF, selectorLabels, workloads, type Labels } from "../../labels";
import { CNPG_API_VERSION } from "./cluster";
import { CLUSTER_NAME, databaseServices } from "./names";

/** PgBouncer's own needs are small and flat: it forwards bytes. */
const POOLER_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } };

export function poolerLabels(instance: string): Labels {
  return { ...selectorLabels(instance, workloads.pooler), "app.kubernetes.io/part-of": PART_OF };
}

/** The Pooler's spec; its pods carry the workload labels, so NetworkPolicies select them like any workload. */
export function poolerSpec(db: DatabaseSettings, instance: string, priorityClassName: string | undefined) {
  return {
    cluster: { name: CLUSTER_NAME },
    instances: db.pooler.instances,
    type: "rw",
    pgbouncer: {
      poolMode: "transaction",
      parameters: {
        // The operator prepends extra_float_digits,options; node-postgres also sends statement_timeout.
        ignore_startup_parameters: "statement_timeout",
        default_pool_size: String(db.pooler.defaultPoolSize),
        max_client_conn: String(db.pooler.maxClientConnections),
      },
    },
    // The Service stays ClusterIP: nothing outside the namespace connects (the policy pack checks it).
    serviceTemplate: { metadata: { labels: poolerLabels(instance) }, spec: { type: "ClusterIP" } },
    template: {
      metadata: { labels: poolerLabels(instance) },
      spec: {
        ...(priorityClassName === undefined ? {} : { priorityClassName }),
        containers: [{ name: "pgbouncer", resources: POOLER_RESOURCES }],
        ...(db.pooler.instances > 1
          ? {
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: { "cnpg.io/poolerName": databaseServices.pooler } },
                      },
                    },
                  ],
                },
              },
            }
          : {}),
      },
    },
  };
}

export const POOLER_KIND = { apiVersion: CNPG_API_VERSION, kind: "Pooler" } as const;
