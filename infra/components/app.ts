import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { Colour, Settings } from "../config";
import { imageUsers } from "../images";
import { metricsPorts } from "../observability/settings";
import {
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
  tlsIngressSpec,
  type Container,
  type PodSpec,
} from "../k8s";
import { instanceLabels, labelValue, objectLabels, selectorLabels, workloads, type Labels } from "../labels";
import { TYPE_PREFIX, type StackContext } from "./context";
import { credentialsRotationAnnotations, type Secrets } from "./secrets";

export interface AppArgs extends StackContext {
  secrets: Secrets;
}

/** The API: the only port the Services carry and the Ingress routes to. */
export const APP_PORT = 8000;
/** /health, /ready and /metrics: probes and the scrape reach it on the pods; nothing routes to it from outside. */
export const OPS_PORT = metricsPorts.service;
/** The paths the Ingress routes to the API; everything else on the host answers 404 at the edge. */
const PUBLIC_PATHS = ["/api"];
/** The label the Service selects on; flipping `blueGreen.active` moves traffic, flipping it back rolls back. */
export const COLOUR_LABEL = "football-prediction/colour";
const COLOURS: readonly Colour[] = ["blue", "green"];
const UID = imageUsers.service;
const TLS_SECRET = "api-tls";

/** The tag a colour runs: its own staged tag if it has one, otherwise the release tag. */
export function colourTag(settings: Settings, colour: Colour): string {
  return settings.blueGreen.tags[colour] ?? settings.image.tag;
}

export function idleColour(active: Colour): Colour {
  return active === "blue" ? "green" : "blue";
}

/** Object names allow lower-case letters, digits and `-`; tags also allow `.`, `_` and capitals. */
export function nameWithTag(prefix: string, tag: string): string {
  return `${prefix}-${tag.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

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
    TRUSTED_PROXIES: settings.ingress.controllerCidrs.join(","),
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

/** Response headers ingress-nginx adds to every API response (the service sets them too; this covers its errors). */
const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
};

/**
 * How every pod of the service image is built: one ServiceAccount, the shared ConfigMap and credentials, the
 * restricted security context, and /tmp as the only writable path.
 */
class ServicePods {
  /** ConfigMap edits do not restart pods; this checksum in each pod template does. */
  private readonly configChecksum: string;
  /** Every pod of the image reads the API credentials, so every one rolls when a password is rotated. */
  public readonly rotationAnnotations: Record<string, string>;

  constructor(
    private readonly settings: Settings,
    private readonly secrets: Secrets,
    private readonly serviceAccountName: pulumi.Output<string>,
    private readonly configMapName: pulumi.Output<string>,
    environment: Record<string, string>,
  ) {
    this.configChecksum = createHash("sha256").update(JSON.stringify(environment)).digest("hex");
    this.rotationAnnotations = credentialsRotationAnnotations(settings);
  }

  /** For the long-running pods: a config or credential change restarts them. */
  get servingAnnotations(): Record<string, string> {
    return { "checksum/config": this.configChecksum, ...this.rotationAnnotations };
  }

  container(name: string, command: string, tag: string, resources = this.settings.worker.resources): Container {
    const { api } = this.secrets;
    return {
      name,
      image: `${this.settings.image.repository}:${tag}`,
      imagePullPolicy: this.settings.image.pullPolicy,
      args: [command],
      envFrom: [{ configMapRef: { name: this.configMapName } }],
      env: [
        secretEnv("DATABASE_URL", api.databaseUrl.name, api.databaseUrl.key),
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
    const ops = { name: "ops", containerPort: OPS_PORT, protocol: "TCP" };
    return {
      ...this.container(name, command, tag, resources),
      ports: command === "serve" ? [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }, ops] : [ops],
      // Start-up fits the model before /ready answers; the startup probe keeps liveness from killing it meanwhile.
      startupProbe: httpProbe("/health", "ops", 5, 60),
      readinessProbe: httpProbe("/ready", "ops", 5, 3),
      livenessProbe: httpProbe("/health", "ops", 10, 3),
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
 * the idle one, the Ingress with its cert-manager Certificate and ClusterIssuer, and the model-refit worker.
 */
export class App extends pulumi.ComponentResource {
  public readonly serviceUrl: string;
  public readonly activeColour: Colour;
  /** ClusterIssuer that signs this stack's certificates (the Grafana one too). */
  public readonly issuerName: pulumi.Output<string>;
  /** Per colour, the Job that must complete before that colour's Deployment rolls out. */
  public readonly migrationJobs: Record<Colour, k8s.batch.v1.Job>;
  /** The service's shared settings (docs/service-interface.md), for other pods of the image (the import CronJob). */
  public readonly configMapName: pulumi.Output<string>;

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
    this.issuerName = this.clusterIssuer();

    const labels = objectLabels(instance, workloads.api);
    const sa = serviceAccount("football-prediction", namespace, labels, this.child);
    const environment = serviceEnvironment(settings);
    const config = contentConfigMap("api-config", namespace, labels, environment, this.child);
    const pods = new ServicePods(settings, secrets, sa.metadata.name, config.metadata.name, environment);
    this.configMapName = config.metadata.name;

    this.migrationJobs = this.migrations(pods);
    for (const colour of COLOURS) {
      this.colour(colour, pods);
    }
    const service = this.services();
    this.ingress(service);
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
              initContainers: [pods.container("migrate", "migrate", tag)],
              containers: [pods.container("seed", "seed", tag)],
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
          // No `replicas`: the HPA owns the count, and a value here would reset it on every `pulumi up`.
          selector: { matchLabels: selector },
          revisionHistoryLimit: 5,
          minReadySeconds: 5,
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
          template: {
            metadata: { labels, annotations: pods.servingAnnotations },
            spec: pods.podSpec({
              topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
                maxSkew: 1,
                topologyKey,
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: selector },
              })),
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
  private services(): k8s.core.v1.Service {
    const { namespace, instance } = this;
    const active = this.settings.blueGreen.active;
    const labels = objectLabels(instance, workloads.api);
    const selector = (colour: Colour) => ({ ...selectorLabels(instance, workloads.api), [COLOUR_LABEL]: colour });
    const ports = [{ name: "http", port: APP_PORT }];
    clusterService("api-preview", namespace, labels, selector(idleColour(active)), ports, this.child);
    return clusterService("api", namespace, labels, selector(active), ports, this.child);
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
            metadata: { labels, annotations: pods.servingAnnotations },
            spec: pods.podSpec({ containers: [pods.servingContainer("worker", "worker", tag)] }),
          },
        },
      },
      { parent: this, dependsOn: [this.migrationJobs[active]] },
    );
  }

  /**
   * The only cluster-scoped object of the stack: cert-manager issuers are cluster-wide. Named after the namespace
   * so stacks sharing a cluster never fight over one.
   */
  private clusterIssuer(): pulumi.Output<string> {
    const { settings } = this;
    const tls = settings.ingress.tls;
    const issuerName = `${settings.namespace}-${tls.issuer}`;
    const spec =
      tls.issuer === "acme"
        ? {
            acme: {
              server: tls.server,
              email: tls.email,
              privateKeySecretRef: { name: `${issuerName}-account-key` },
              solvers: [{ http01: { ingress: { ingressClassName: settings.ingress.className } } }],
            },
          }
        : { selfSigned: {} };
    const issuer = new k8s.apiextensions.CustomResource(
      "cluster-issuer",
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: issuerName, labels: instanceLabels(this.instance, "tls") },
        spec,
      },
      this.child,
    );
    return issuer.metadata.name;
  }

  /** HTTPS only, /api only, a cert-manager Certificate, ingress-nginx rate limits and security headers. */
  private ingress(service: k8s.core.v1.Service): void {
    const { settings, namespace } = this;
    const host = settings.ingress.host;
    const labels: Labels = objectLabels(this.instance, workloads.api);

    new k8s.apiextensions.CustomResource(
      "api-certificate",
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: meta(TLS_SECRET, namespace, labels),
        spec: {
          secretName: TLS_SECRET,
          dnsNames: [host],
          issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: this.issuerName },
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          secretTemplate: { labels },
        },
      },
      this.child,
    );

    const headers = contentConfigMap("security-headers", namespace, labels, SECURITY_HEADERS, this.child);

    const { rps, burstMultiplier, connections } = settings.ingress.rateLimit;
    new k8s.networking.v1.Ingress(
      "api",
      {
        metadata: {
          name: "api",
          namespace,
          labels,
          annotations: {
            "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
            "nginx.ingress.kubernetes.io/limit-rps": String(rps),
            "nginx.ingress.kubernetes.io/limit-burst-multiplier": String(burstMultiplier),
            "nginx.ingress.kubernetes.io/limit-connections": String(connections),
            "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
            // The controller must list these header names in its `global-allowed-response-headers`.
            "nginx.ingress.kubernetes.io/custom-headers": pulumi.interpolate`${namespace}/${headers.metadata.name}`,
          },
        },
        spec: tlsIngressSpec(settings.ingress.className, host, TLS_SECRET, service.metadata.name, PUBLIC_PATHS),
      },
      this.child,
    );
  }
}
