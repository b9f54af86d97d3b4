import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { images, imageUsers, thirdPartyImage } from "../images";
import {
  clusterService,
  httpProbe,
  meta,
  plainEnv,
  podDefaults,
  restrictedContainerSecurity,
  secretEnv,
  serviceAccount,
  servingPriority,
  tcpProbe,
  type Container,
} from "../k8s";
import { objectLabels, selectorLabels, workloads, type Labels } from "../labels";
import { metricsPortNames } from "../observability";
import { TYPE_PREFIX, type StackContext } from "./context";
import { ports } from "./networkPolicies";
import { databaseRoles, databaseServices } from "./database/names";
import { credentialsRotationAnnotations, REDIS_HOST, type Secrets } from "./secrets";

export interface ExportersArgs extends StackContext {
  secrets: Secrets;
}

/** Their load does not vary enough between stacks to configure. */
const size = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } };

type ExporterKey = "postgresExporter" | "redisExporter";

/**
 * The two exporters the stack runs itself, because they log in to its own servers with its generated
 * credentials: PostgreSQL's (connections, transactions, database sizes, on the primary) and Redis's. The cluster's
 * Prometheus scrapes them through the stack's monitors (components/monitoring.ts); CloudNativePG's instances and
 * PgBouncers export their own metrics.
 */
export class Exporters extends pulumi.ComponentResource {
  private readonly namespace: pulumi.Output<string>;
  private readonly instance: string;
  private readonly settings: Settings;

  constructor(name: string, args: ExportersArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Exporters`, name, {}, opts);
    const { settings, namespace, instance, secrets } = args;
    this.namespace = namespace;
    this.instance = instance;
    this.settings = settings;

    // One exporter, on the primary (whichever instance that is). Replication, archiving and backups come from the
    // instances' own exporters.
    this.exporter("postgres-exporter", "postgresExporter", ports.postgresExporter, {
      name: "postgres-exporter",
      ...thirdPartyImage(images.postgresExporter),
      args: [`--web.listen-address=:${ports.postgresExporter}`],
      env: [
        ...plainEnv({
          // The operator's server certificate is signed by its own CA: encrypted, not verified.
          DATA_SOURCE_URI: `${databaseServices.readWrite}:5432/${settings.database.name}?sslmode=require`,
          DATA_SOURCE_USER: databaseRoles.monitor,
        }),
        secretEnv("DATA_SOURCE_PASS", secrets.monitorPassword.name, secrets.monitorPassword.key),
      ],
      resources: size,
      securityContext: restrictedContainerSecurity(imageUsers.postgresExporter),
      readinessProbe: httpProbe("/", metricsPortNames.postgresExporter),
      livenessProbe: tcpProbe(metricsPortNames.postgresExporter, 20),
    });

    this.exporter("redis-exporter", "redisExporter", ports.redisExporter, {
      name: "redis-exporter",
      ...thirdPartyImage(images.redisExporter),
      env: [
        ...plainEnv({ REDIS_ADDR: `redis://${REDIS_HOST}:6379`, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `:${ports.redisExporter}` }),
        secretEnv("REDIS_PASSWORD", secrets.redisPassword.name, secrets.redisPassword.key),
      ],
      resources: size,
      securityContext: restrictedContainerSecurity(imageUsers.redisExporter),
      readinessProbe: httpProbe("/health", metricsPortNames.redisExporter),
      livenessProbe: httpProbe("/health", metricsPortNames.redisExporter, 20),
    });

    this.registerOutputs({});
  }

  private labels(key: ExporterKey): Labels {
    return objectLabels(this.instance, workloads[key], images[key].tag);
  }

  /**
   * A one-replica Deployment with a ServiceAccount of its own and a Service on its metrics port. Both read a
   * generated password from a `secretKeyRef`, so the rotation annotation restarts them when one rotates.
   */
  private exporter(id: string, key: ExporterKey, port: number, container: Container): void {
    const child = { parent: this };
    const labels = this.labels(key);
    const selector = selectorLabels(this.instance, workloads[key]);
    const sa = serviceAccount(id, this.namespace, labels, child);
    new k8s.apps.v1.Deployment(
      id,
      {
        metadata: meta(id, this.namespace, labels),
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          revisionHistoryLimit: 3,
          template: {
            metadata: { labels, annotations: credentialsRotationAnnotations(this.settings) },
            spec: {
              ...podDefaults(sa.metadata.name, imageUsers[key]),
              ...servingPriority(this.settings),
              containers: [{ ...container, ports: [{ name: metricsPortNames[key], containerPort: port, protocol: "TCP" }] }],
            },
          },
        },
      },
      child,
    );
    clusterService(id, this.namespace, labels, selector, [{ name: metricsPortNames[key], port }], child);
  }
}
