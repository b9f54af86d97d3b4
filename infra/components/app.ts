import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLOUR_LABEL, COLOURS, colourTag, idleColour, nameWithTag } from "../blueGreen";
import type { Colour, Settings } from "../config";
import { imageUsers } from "../images";
import {
  autoscaledRollout,
  awaitedJobAnnotations,
  clusterService,
  contentConfigMap,
  disruptionBudget,
  FINISHED_JOB_IGNORES,
  FINISHED_JOB_TTL_SECONDS,
  httpProbe,
  meta,
  podDefaults,
  resourcesOf,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  servingPriority,
  spreadOverZonesAndNodes,
  type Container,
  type EnvVar,
  type PodSpec,
} from "../k8s";
import { labelValue, objectLabels, selectorLabels, workloads } from "../labels";
import { APP_PORT, OPS_PORT, OPS_PORT_NAME } from "../ports";
import { TYPE_PREFIX, type StackContext } from "./context";
import { credentialsRotationAnnotations, type Secrets } from "./secrets";

export interface AppArgs extends StackContext {
  secrets: Secrets;
}

/** Which Service a pod reaches PostgreSQL through (components/database/names.ts). */
type DatabaseRoute = "pooler" | "direct" | "migration";

const UID = imageUsers.service;

/** Longest the migration Job may run (migrate, then seed) before Kubernetes stops it. */
export const MIGRATION_DEADLINE_SECONDS = 900;

/**
 * A Job's pod template is immutable, so the migration Job is named after its tag: a new release gets a new Job
 * (and its Deployments wait for it), an unchanged one keeps its completed Job and migrates nothing again.
 */
export function migrationJobName(tag: string): string {
  return nameWithTag("migrate", tag);
}

/** Non-secret settings of docs/service-interface.md, shared by the API, the worker and the migration Job. */
function serviceEnvironment(settings: Settings): Record<string, string> {
  const { api, worker, database } = settings;
  return {
    APP_ENV: settings.environment,
    LOG_LEVEL: settings.logLevel,
    PORT: String(APP_PORT),
    OPS_PORT: String(OPS_PORT),
    TRUSTED_PROXIES: settings.ingress.proxyCidrs.join(","),
    DB_POOL_MIN: String(database.poolMin),
    DB_POOL_MAX: String(database.poolMax),
    CACHE_PREFIX: "fp:",
    CACHE_TTL_SECONDS: String(api.cacheTtlSeconds),
    RATE_LIMIT_PER_MINUTE: String(api.rateLimitPerMinute),
    MODEL_REFIT_INTERVAL_MINUTES: String(worker.refitIntervalMinutes),
    MODEL_REFIT_DEBOUNCE_SECONDS: String(worker.refitDebounceSeconds),
    MODEL_POLL_INTERVAL_SECONDS: String(api.modelPollIntervalSeconds),
    SHUTDOWN_GRACE_SECONDS: String(api.shutdownGraceSeconds),
  };
}

/**
 * How every pod of the service image is built: one ServiceAccount, the shared ConfigMap and credentials, the
 * restricted security context, and /tmp as the only writable path.
 */
class ServicePods {
  /**
   * Every pod of the image reads the API credentials, so every one rolls when a password is rotated. A config
   * change needs no annotation: the ConfigMap is named after its content, so the pod template names a new one.
   */
  public readonly rotationAnnotations: Record<string, string>;

  constructor(
    private readonly settings: Settings,
    private readonly secrets: Secrets,
    private readonly serviceAccountName: pulumi.Output<string>,
    private readonly configMapName: pulumi.Output<string>,
  ) {
    this.rotationAnnotations = credentialsRotationAnnotations(settings);
  }

  /**
   * The API goes through the Pooler (transaction pooling); the worker's refits and the commands outlast the pooled
   * sessions' statement bound, so they use the primary's `-rw` Service; migrations log in as their own role.
   */
  private databaseUrl(route: DatabaseRoute): EnvVar {
    const { api, migrationDatabaseUrl } = this.secrets;
    const ref = route === "pooler" ? api.databaseUrl : route === "direct" ? api.directDatabaseUrl : migrationDatabaseUrl;
    return secretEnv("DATABASE_URL", ref.name, ref.key);
  }

  container(
    name: string,
    command: string,
    tag: string,
    resources = this.settings.worker.resources,
    route: DatabaseRoute = "direct",
  ): Container {
    const { api } = this.secrets;
    return {
      name,
      image: `${this.settings.imageRepository}:${tag}`,
      imagePullPolicy: this.settings.image.pullPolicy,
      args: [command],
      envFrom: [{ configMapRef: { name: this.configMapName } }],
      env: [
        this.databaseUrl(route),
        secretEnv("REDIS_URL", api.redisUrl.name, api.redisUrl.key),
        secretEnv("RATE_LIMIT_REDIS_URL", api.rateLimitRedisUrl.name, api.rateLimitRedisUrl.key),
        secretEnv("JWT_SECRET", api.jwtSecret.name, api.jwtSecret.key),
      ],
      resources: resourcesOf(resources),
      securityContext: restrictedContainerSecurity(UID),
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
  }

  /** `serve` and `worker`: both answer /health, /ready and /metrics on OPS_PORT; `serve` has the API on APP_PORT. */
  servingContainer(name: string, command: string, tag: string, resources = this.settings.worker.resources): Container {
    const ops = { name: OPS_PORT_NAME, containerPort: OPS_PORT, protocol: "TCP" };
    return {
      ...this.container(name, command, tag, resources, command === "serve" ? "pooler" : "direct"),
      ports: command === "serve" ? [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }, ops] : [ops],
      // Start-up fits the model before /ready answers; the startup probe keeps liveness from killing it meanwhile.
      startupProbe: httpProbe("/health", OPS_PORT_NAME, 5, 60),
      readinessProbe: httpProbe("/ready", OPS_PORT_NAME, 5, 3),
      livenessProbe: httpProbe("/health", OPS_PORT_NAME, 10, 3),
    };
  }

  podSpec(spec: PodSpec): PodSpec {
    return {
      ...podDefaults(this.serviceAccountName, UID),
      ...servingPriority(this.settings),
      terminationGracePeriodSeconds: this.settings.api.shutdownGraceSeconds + 10,
      volumes: [scratchVolume("tmp", "256Mi")],
      ...spec,
    };
  }
}

/**
 * The prediction service: blue and green API Deployments (each rolled out only after its release's migration Job
 * completed, autoscaled and disruption-budgeted), the Service that selects the active colour, a preview Service on
 * the idle one, a Service per colour (what the edge's `/api` route points at: components/edge.ts), and the model-refit worker.
 */
export class App extends pulumi.ComponentResource {
  public readonly serviceUrl: string;
  public readonly activeColour: Colour;
  /** Per colour, the Job that must complete before that colour's Deployment rolls out. */
  public readonly migrationJobs: Record<Colour, k8s.batch.v1.Job>;
  /** The service's shared settings (docs/service-interface.md), for other pods of the image (the import CronJob). */
  public readonly configMapName: pulumi.Output<string>;
  /** Each colour's own Service: the edge's `/api` route names the active one, so the route is the switch. */
  public readonly colourServices: Record<Colour, pulumi.Output<string>>;

  private readonly settings: Settings;
  private readonly namespace: pulumi.Output<string>;
  private readonly instance: string;

  constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:App`, name, {}, opts);
    const { settings, namespace, instance, secrets } = args;
    this.settings = settings;
    this.namespace = namespace;
    this.instance = instance;
    const active = settings.blueGreen.active;
    this.activeColour = active;
    this.serviceUrl = `https://${settings.ingress.host}`;

    const labels = objectLabels(instance, workloads.api);
    const sa = serviceAccount("football-prediction", namespace, labels, this.child);
    const environment = serviceEnvironment(settings);
    const config = contentConfigMap("api-config", namespace, labels, environment, this.child);
    const pods = new ServicePods(settings, secrets, sa.metadata.name, config.metadata.name);
    this.configMapName = config.metadata.name;

    this.migrationJobs = this.migrations(pods);
    for (const colour of COLOURS) {
      this.colour(colour, pods);
    }
    this.colourServices = this.services();
    this.worker(pods);

    this.registerOutputs({ serviceUrl: this.serviceUrl, activeColour: this.activeColour });
  }

  private get child(): pulumi.CustomResourceOptions {
    return { parent: this };
  }

  /**
   * One Job per distinct tag. The idle colour's waits for the active one's, so a staged (newer) release migrates
   * after the running one and never concurrently with it.
   */
  private migrations(pods: ServicePods): Record<Colour, k8s.batch.v1.Job> {
    const active = this.settings.blueGreen.active;
    const jobs = new Map<string, k8s.batch.v1.Job>();
    for (const colour of [active, idleColour(active)]) {
      const tag = colourTag(this.settings, colour);
      if (!jobs.has(tag)) {
        jobs.set(tag, this.migrationJob(tag, pods, [...jobs.values()]));
      }
    }
    const jobOf = (colour: Colour) => jobs.get(colourTag(this.settings, colour)) as k8s.batch.v1.Job;
    return { blue: jobOf("blue"), green: jobOf("green") };
  }

  private migrationJob(tag: string, pods: ServicePods, after: k8s.batch.v1.Job[]): k8s.batch.v1.Job {
    const name = migrationJobName(tag);
    const labels = objectLabels(this.instance, workloads.migration, labelValue(tag));
    return new k8s.batch.v1.Job(
      name,
      {
        metadata: meta(name, this.namespace, labels, awaitedJobAnnotations(MIGRATION_DEADLINE_SECONDS)),
        spec: {
          backoffLimit: 3,
          activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
          ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS,
          template: {
            metadata: { labels, annotations: pods.rotationAnnotations },
            spec: pods.podSpec({
              restartPolicy: "Never",
              // migrate, then load the shipped results: seeding needs the schema, and an init container orders the
              // two without needing a shell in the image.
              initContainers: [pods.container("migrate", "migrate", tag, undefined, "migration")],
              containers: [pods.container("seed", "seed", tag, undefined, "migration")],
            }),
          },
        },
      },
      { parent: this, dependsOn: after, ignoreChanges: FINISHED_JOB_IGNORES },
    );
  }

  /** One colour: its Deployment (after its migration), HPA and PodDisruptionBudget. */
  private colour(colour: Colour, pods: ServicePods): void {
    const { settings, namespace, instance } = this;
    const tag = colourTag(settings, colour);
    const name = `api-${colour}`;
    const selector = { ...selectorLabels(instance, workloads.api), [COLOUR_LABEL]: colour };
    const labels = { ...objectLabels(instance, workloads.api, labelValue(tag)), [COLOUR_LABEL]: colour };

    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta(name, namespace, labels),
        spec: {
          ...autoscaledRollout(selector),
          template: {
            metadata: { labels, annotations: pods.rotationAnnotations },
            spec: pods.podSpec({
              topologySpreadConstraints: spreadOverZonesAndNodes(selector),
              containers: [pods.servingContainer("api", "serve", tag, settings.api.resources)],
            }),
          },
        },
      },
      { parent: this, dependsOn: [this.migrationJobs[colour]] },
    );

    const utilization = (resource: string, averageUtilization: number) => ({
      type: "Resource",
      resource: { name: resource, target: { type: "Utilization", averageUtilization } },
    });
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      name,
      {
        metadata: meta(name, namespace, labels),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: settings.api.minReplicas,
          maxReplicas: settings.api.maxReplicas,
          metrics: [
            utilization("cpu", settings.api.cpuUtilization),
            utilization("memory", settings.api.memoryUtilization),
          ],
          behavior: {
            // Scale down slowly: a short lull between matches should not drop warm replicas.
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      this.child,
    );

    disruptionBudget(name, namespace, labels, selector, this.child);
  }

  /** `api` routes to the active colour; `api-preview` to the idle one, to check a staged release before the switch. */
  /**
   * `api` on the active colour and `api-preview` on the idle one, for clients inside the cluster and the deploy
   * workflow's smoke test, and `api-blue`/`api-green`, which the public route chooses between.
   */
  private services(): Record<Colour, pulumi.Output<string>> {
    const { namespace, instance } = this;
    const active = this.settings.blueGreen.active;
    const labels = objectLabels(instance, workloads.api);
    const selector = (colour: Colour) => ({ ...selectorLabels(instance, workloads.api), [COLOUR_LABEL]: colour });
    const ports = [{ name: "http", port: APP_PORT }];
    clusterService("api-preview", namespace, labels, selector(idleColour(active)), ports, this.child);
    clusterService("api", namespace, labels, selector(active), ports, this.child);
    const byColour = (colour: Colour) =>
      clusterService(`api-${colour}`, namespace, labels, selector(colour), ports, this.child).metadata.name;
    return { blue: byColour("blue"), green: byColour("green") };
  }

  /** The worker runs the active colour's release: one replica, whose migration has to be in place first. */
  private worker(pods: ServicePods): void {
    const { settings, namespace, instance } = this;
    const active = settings.blueGreen.active;
    const tag = colourTag(settings, active);
    const labels = objectLabels(instance, workloads.worker, labelValue(tag));
    new k8s.apps.v1.Deployment(
      "worker",
      {
        metadata: meta("worker", namespace, labels),
        spec: {
          replicas: 1,
          selector: { matchLabels: selectorLabels(instance, workloads.worker) },
          revisionHistoryLimit: 5,
          // Never two workers: a rolling update would briefly run two refits against one database.
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels, annotations: pods.rotationAnnotations },
            spec: pods.podSpec({ containers: [pods.servingContainer("worker", "worker", tag)] }),
          },
        },
      },
      { parent: this, dependsOn: [this.migrationJobs[active]] },
    );
  }
}
