import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { MonitoringSettings, Settings } from "../config";
import { images, imageUsers, thirdPartyImage } from "../images";
import {
  claimGrowth,
  clusterService,
  contentConfigMap,
  httpProbe,
  meta,
  plainEnv,
  podDefaults,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  servingPriority,
  statefulSetClaim,
  tcpProbe,
  CLAIM_CLASS_PATH,
  CLAIM_TEMPLATES_PATH,
  volumeClaimSpec,
  tlsIngressSpec,
  type Container,
  type Volume,
} from "../k8s";
import { claimLabels, objectLabels, selectorLabels, workloads, type Labels } from "../labels";
import {
  defaultThresholds,
  kubeStateMetricsResources,
  mountPaths,
  renderAlertmanagerConfig,
  renderAlertRules,
  renderGrafanaDashboardProviders,
  renderGrafanaDashboards,
  renderGrafanaDatasources,
  renderPrometheusConfig,
  type ObservabilitySettings,
} from "../observability";
import { BACKUP_CLAIM } from "./backups";
import { stateful, TYPE_PREFIX, type StackContext } from "./context";
import { ports } from "./networkPolicies";
import { CLUSTER_NAME, databaseRoles, databaseServices } from "./database/names";
import { credentialsRotationAnnotations, REDIS_HOST, type Secrets } from "./secrets";

export interface MonitoringArgs extends StackContext {
  monitoring: MonitoringSettings;
  secrets: Secrets;
  /** ClusterIssuer that signs Grafana's certificate (the App's). */
  issuerName: pulumi.Input<string>;
}

/**
 * The ServiceAccounts that call the API: the Rbac component binds their Roles before these workloads start, so
 * it names them up front.
 */
export const apiClientAccounts = { prometheus: "prometheus", kubeStateMetrics: "kube-state-metrics" } as const;

export const PUSHGATEWAY_URL = `http://pushgateway:${ports.pushgateway}`;
const ALERTMANAGER_URL = `http://alertmanager:${ports.alertmanager}`;
const RECEIVER_SECRETS_DIR = "/etc/alertmanager/secrets";
const PROMETHEUS_CONFIG_DIR = "/etc/prometheus/config";
const ALERTMANAGER_CONFIG_DIR = "/etc/alertmanager/config";
/** kube-state-metrics' own health and metrics; nothing scrapes it, the readiness probe reads it. */
const KUBE_STATE_METRICS_TELEMETRY_PORT = 8081;

/** Requests and limits of the monitoring workloads: their load does not vary enough between stacks to configure. */
const sizes = {
  prometheus: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
  small: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
  grafana: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
};

/**
 * CloudNativePG names each instance's data claim `<cluster>-<serial>` (its WAL claim `<cluster>-<serial>-wal`), and
 * serials grow as instances are replaced: a pattern, not a list.
 */
const POSTGRES_DATA_CLAIMS = `${CLUSTER_NAME}-[0-9]+`;

/** The claim a one-pod StatefulSet's `data` volumeClaimTemplate makes. */
function dataClaim(statefulSet: string): string {
  return statefulSetClaim("data", statefulSet);
}

/** The settings the rendered Prometheus, Alertmanager and Grafana files are made for. */
export function observabilitySettings(settings: Settings, monitoring: MonitoringSettings): ObservabilitySettings {
  const { keepDaily, keepWeekly, keepMonthly } = settings.backups;
  return {
    environment: settings.environment,
    namespace: settings.namespace,
    ingressControllerNamespace: settings.cluster.ingressControllerNamespace,
    scrapeInterval: monitoring.scrapeInterval,
    evaluationInterval: monitoring.evaluationInterval,
    alertmanagerUrl: ALERTMANAGER_URL,
    pushgatewayUrl: PUSHGATEWAY_URL,
    postgresCluster: CLUSTER_NAME,
    postgresInstances: settings.database.instances,
    continuousBackups: settings.backups.s3 !== undefined,
    volumeClaims: {
      postgres: [POSTGRES_DATA_CLAIMS],
      redis: dataClaim("redis"),
      backups: BACKUP_CLAIM,
      prometheus: dataClaim("prometheus"),
    },
    // Each retention tier keeps at most its count; the run in progress writes one more dump beside them.
    backupsOnVolume: keepDaily + keepWeekly + keepMonthly + 1,
    thresholds: { ...defaultThresholds, ...monitoring.thresholds },
    receivers: {
      pagerUrlFile: `${RECEIVER_SECRETS_DIR}/pager-routing-key`,
      chatUrlFile: `${RECEIVER_SECRETS_DIR}/chat-webhook-url`,
    },
  };
}

function checksum(data: Record<string, string>): string {
  return createHash("sha256").update(JSON.stringify(data)).digest("hex");
}

/** The monitoring workloads: each is a workload of infra/labels.ts and an image of infra/images.ts. */
type MonitoringWorkload =
  | "prometheus"
  | "alertmanager"
  | "pushgateway"
  | "grafana"
  | "postgresExporter"
  | "redisExporter"
  | "kubeStateMetrics";

interface WorkloadSpec {
  key: MonitoringWorkload;
  containers: Container[];
  volumes: Volume[];
  /** Config files the pod mounts: their checksum restarts it when they change. */
  configData?: Record<string, string>;
  /** Extra labels telling apart Deployments of one workload (the primary and replica exporters). */
  extraLabels?: Labels;
  automountToken?: boolean;
  /** Reads a generated password, so it restarts when `secrets.rotation` changes. */
  readsGeneratedPassword?: boolean;
}

/**
 * Prometheus, Alertmanager, Pushgateway, Grafana, the PostgreSQL and Redis exporters and kube-state-metrics,
 * running the files infra/observability renders for this stack. Secrets reach them only as mounted files or
 * `secretKeyRef`s: the Alertmanager receivers from the receivers Secret, Grafana's admin login from the generated
 * one. The two that call the API, Prometheus and kube-state-metrics, get namespaced Roles from the Rbac component.
 */
export class Monitoring extends pulumi.ComponentResource {
  public readonly grafanaUrl: string;

  private readonly namespace: pulumi.Output<string>;
  private readonly instance: string;
  private readonly settings: Settings;
  private readonly storageClass: string;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Monitoring`, name, {}, opts);
    const { settings, monitoring, namespace, instance, secrets } = args;
    this.namespace = namespace;
    this.settings = settings;
    this.instance = instance;
    this.storageClass = args.platform.storageClasses.default;
    this.grafanaUrl = `https://${monitoring.grafanaHost}`;
    const receivers = secrets.monitoring;
    if (receivers === undefined) {
      throw new Error("monitoring is enabled but the Secrets component made no monitoring credentials");
    }
    const observability = observabilitySettings(settings, monitoring);

    this.prometheus(monitoring, observability);
    this.alertmanager(observability, receivers.alertReceivers);
    this.pushgateway();
    this.grafana(settings, monitoring, observability, receivers, args.issuerName);
    this.exporters(settings, secrets);
    this.kubeStateMetrics(settings);

    this.registerOutputs({ grafanaUrl: this.grafanaUrl });
  }

  private get child(): pulumi.CustomResourceOptions {
    return { parent: this };
  }

  private labels(key: MonitoringWorkload, extra: Labels = {}): Labels {
    return { ...objectLabels(this.instance, workloads[key], images[key].tag), ...extra };
  }

  private configMap(id: string, labels: Labels, data: Record<string, string>): k8s.core.v1.ConfigMap {
    return contentConfigMap(id, this.namespace, labels, data, this.child);
  }

  /**
   * The pod template shared by every monitoring workload: restricted, own ServiceAccount, config checksum, and the
   * credentials' rotation for the pods that read a generated password.
   */
  private podTemplate(spec: WorkloadSpec, serviceAccountName: pulumi.Input<string>) {
    const labels = this.labels(spec.key, spec.extraLabels);
    const uid = imageUsers[spec.key];
    const annotations = {
      ...(spec.configData === undefined ? {} : { "checksum/config": checksum(spec.configData) }),
      ...(spec.readsGeneratedPassword === true ? credentialsRotationAnnotations(this.settings) : {}),
    };
    return {
      metadata: {
        labels,
        ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
      },
      spec: {
        ...podDefaults(serviceAccountName, uid, spec.automountToken ?? false),
        ...servingPriority(this.settings),
        containers: spec.containers,
        volumes: spec.volumes,
      },
    };
  }

  /** A one-replica Deployment with a ServiceAccount of its own; returns that ServiceAccount's name. */
  private deployment(
    id: string,
    spec: WorkloadSpec,
    strategy: "RollingUpdate" | "Recreate" = "RollingUpdate",
  ): pulumi.Output<string> {
    const sa = serviceAccount(id, this.namespace, this.labels(spec.key), this.child);
    const selector = { ...selectorLabels(this.instance, workloads[spec.key]), ...spec.extraLabels };
    new k8s.apps.v1.Deployment(
      id,
      {
        metadata: meta(id, this.namespace, this.labels(spec.key, spec.extraLabels)),
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          revisionHistoryLimit: 3,
          strategy: { type: strategy },
          template: this.podTemplate(spec, sa.metadata.name),
        },
      },
      this.child,
    );
    return sa.metadata.name;
  }

  private prometheus(monitoring: MonitoringSettings, observability: ObservabilitySettings): pulumi.Output<string> {
    const labels = this.labels("prometheus");
    const configData = { "prometheus.yml": renderPrometheusConfig(observability) };
    const rulesData = { "alerts.yml": renderAlertRules(observability) };
    const config = this.configMap("prometheus-config", labels, configData);
    const rules = this.configMap("prometheus-rules", labels, rulesData);
    // The one pod that calls the API (kubernetes_sd); the Rbac component grants its ServiceAccount read access.
    const sa = serviceAccount(apiClientAccounts.prometheus, this.namespace, labels, this.child);
    const uid = imageUsers.prometheus;

    const spec: WorkloadSpec = {
      key: "prometheus",
      automountToken: true,
      configData: { ...configData, ...rulesData },
      containers: [
        {
          name: "prometheus",
          ...thirdPartyImage(images.prometheus),
          args: [
            `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
            "--storage.tsdb.path=/prometheus",
            `--storage.tsdb.retention.time=${monitoring.retention}`,
            `--web.listen-address=:${ports.prometheus}`,
          ],
          ports: [{ name: "http", containerPort: ports.prometheus, protocol: "TCP" }],
          resources: sizes.prometheus,
          securityContext: restrictedContainerSecurity(uid),
          // WAL replay after a restart can take minutes; /-/ready stays 503 until it is done.
          startupProbe: httpProbe("/-/healthy", "http", 10, 60),
          readinessProbe: httpProbe("/-/ready", "http"),
          livenessProbe: httpProbe("/-/healthy", "http", 20),
          volumeMounts: [
            { name: "config", mountPath: PROMETHEUS_CONFIG_DIR, readOnly: true },
            { name: "rules", mountPath: mountPaths.prometheusRulesDir, readOnly: true },
            { name: "data", mountPath: "/prometheus" },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: config.metadata.name } },
        { name: "rules", configMap: { name: rules.metadata.name } },
      ],
    };
    const set = new k8s.apps.v1.StatefulSet(
      "prometheus",
      {
        metadata: meta("prometheus", this.namespace, labels),
        spec: {
          serviceName: "prometheus",
          replicas: 1,
          selector: { matchLabels: selectorLabels(this.instance, workloads.prometheus) },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          template: this.podTemplate(spec, sa.metadata.name),
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: claimLabels(this.instance, workloads.prometheus) },
              spec: volumeClaimSpec(monitoring.storageSize, this.storageClass),
            },
          ],
        },
      },
      { ...this.child, ...stateful(this.settings), ignoreChanges: [CLAIM_TEMPLATES_PATH] },
    );
    claimGrowth("prometheus-data-size", statefulSetClaim("data", "prometheus"), this.namespace, monitoring.storageSize, {
      ...this.child,
      ...stateful(this.settings),
      dependsOn: [set],
    });
    clusterService(
      "prometheus",
      this.namespace,
      labels,
      selectorLabels(this.instance, workloads.prometheus),
      [{ name: "http", port: ports.prometheus }],
      this.child,
    );
    return sa.metadata.name;
  }

  private alertmanager(
    observability: ObservabilitySettings,
    receivers: NonNullable<Secrets["monitoring"]>["alertReceivers"],
  ): void {
    const configData = { "alertmanager.yml": renderAlertmanagerConfig(observability) };
    const config = this.configMap("alertmanager-config", this.labels("alertmanager"), configData);
    const uid = imageUsers.alertmanager;
    this.deployment("alertmanager", {
      key: "alertmanager",
      configData,
      containers: [
        {
          name: "alertmanager",
          ...thirdPartyImage(images.alertmanager),
          args: [
            `--config.file=${ALERTMANAGER_CONFIG_DIR}/alertmanager.yml`,
            "--storage.path=/alertmanager",
            `--web.listen-address=:${ports.alertmanager}`,
            // One replica: an empty address turns off the gossip cluster it would otherwise try to form.
            "--cluster.listen-address=",
          ],
          ports: [{ name: "http", containerPort: ports.alertmanager, protocol: "TCP" }],
          resources: sizes.small,
          securityContext: restrictedContainerSecurity(uid),
          readinessProbe: httpProbe("/-/ready", "http"),
          livenessProbe: httpProbe("/-/healthy", "http", 20),
          volumeMounts: [
            { name: "config", mountPath: ALERTMANAGER_CONFIG_DIR, readOnly: true },
            { name: "receivers", mountPath: RECEIVER_SECRETS_DIR, readOnly: true },
            { name: "storage", mountPath: "/alertmanager" },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: config.metadata.name } },
        {
          name: "receivers",
          secret: {
            secretName: receivers.pagerRoutingKey.name,
            items: [
              { key: receivers.pagerRoutingKey.key, path: "pager-routing-key" },
              { key: receivers.chatWebhookUrl.key, path: "chat-webhook-url" },
            ],
          },
        },
        // Silences and the notification log; losing them on a restart re-sends at most one notification.
        scratchVolume("storage", "128Mi"),
      ],
    });
    this.service("alertmanager", "alertmanager", { name: "http", port: ports.alertmanager });
  }

  private pushgateway(): void {
    // Backup metrics are pushed once a day: they must survive a restart, or the backup-age alert fires falsely.
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      "pushgateway",
      {
        metadata: meta("pushgateway", this.namespace, claimLabels(this.instance, workloads.pushgateway)),
        spec: volumeClaimSpec("1Gi", this.storageClass),
      },
      { ...this.child, ...stateful(this.settings), ignoreChanges: [CLAIM_CLASS_PATH] },
    );
    const uid = imageUsers.pushgateway;
    this.deployment(
      "pushgateway",
      {
        key: "pushgateway",
        containers: [
          {
            name: "pushgateway",
            ...thirdPartyImage(images.pushgateway),
            args: [
              `--web.listen-address=:${ports.pushgateway}`,
              "--persistence.file=/data/pushgateway.metrics",
              "--persistence.interval=1m",
            ],
            ports: [{ name: "http", containerPort: ports.pushgateway, protocol: "TCP" }],
            resources: sizes.small,
            securityContext: restrictedContainerSecurity(uid),
            readinessProbe: httpProbe("/-/ready", "http"),
            livenessProbe: httpProbe("/-/healthy", "http", 20),
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          },
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } }],
      },
      // A ReadWriteOnce volume: the old pod has to let go before the new one can mount it.
      "Recreate",
    );
    this.service("pushgateway", "pushgateway", { name: "http", port: ports.pushgateway });
  }

  private grafana(
    settings: Settings,
    monitoring: MonitoringSettings,
    observability: ObservabilitySettings,
    credentials: NonNullable<Secrets["monitoring"]>,
    issuerName: pulumi.Input<string>,
  ): void {
    const labels = this.labels("grafana");
    const datasources = { "datasources.yaml": renderGrafanaDatasources(observability) };
    const providers = { "dashboards.yaml": renderGrafanaDashboardProviders() };
    const dashboards = renderGrafanaDashboards(observability);
    const datasourcesMap = this.configMap("grafana-datasources", labels, datasources);
    const providersMap = this.configMap("grafana-dashboard-providers", labels, providers);
    const dashboardsMap = this.configMap("grafana-dashboards", labels, dashboards);
    const provisioning = mountPaths.grafanaProvisioningDir;
    const uid = imageUsers.grafana;

    this.deployment("grafana", {
      key: "grafana",
      readsGeneratedPassword: true,
      configData: { ...datasources, ...providers, ...dashboards },
      containers: [
        {
          name: "grafana",
          ...thirdPartyImage(images.grafana),
          ports: [{ name: "http", containerPort: ports.grafana, protocol: "TCP" }],
          env: [
            secretEnv("GF_SECURITY_ADMIN_USER", credentials.grafanaAdminUser.name, credentials.grafanaAdminUser.key),
            secretEnv(
              "GF_SECURITY_ADMIN_PASSWORD",
              credentials.grafanaAdminPassword.name,
              credentials.grafanaAdminPassword.key,
            ),
            ...plainEnv({
              GF_SERVER_ROOT_URL: this.grafanaUrl,
              GF_PATHS_DATA: "/var/lib/grafana",
              GF_PATHS_PROVISIONING: provisioning,
              GF_LOG_MODE: "console",
              GF_USERS_ALLOW_SIGN_UP: "false",
              GF_AUTH_ANONYMOUS_ENABLED: "false",
              // No call-home: the NetworkPolicies allow Grafana no egress beyond Prometheus and Alertmanager.
              GF_ANALYTICS_REPORTING_ENABLED: "false",
              GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
              GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
              GF_PLUGINS_PREINSTALL_DISABLED: "true",
            }),
          ],
          resources: sizes.grafana,
          securityContext: restrictedContainerSecurity(uid),
          readinessProbe: httpProbe("/api/health", "http"),
          livenessProbe: httpProbe("/api/health", "http", 20),
          volumeMounts: [
            { name: "data", mountPath: "/var/lib/grafana" },
            { name: "tmp", mountPath: "/tmp" },
            { name: "datasources", mountPath: `${provisioning}/datasources`, readOnly: true },
            { name: "dashboard-providers", mountPath: `${provisioning}/dashboards`, readOnly: true },
            { name: "dashboards", mountPath: mountPaths.grafanaDashboardsDir, readOnly: true },
          ],
        },
      ],
      volumes: [
        // Everything Grafana keeps is provisioned from code; its database can start empty on every restart.
        scratchVolume("data", "256Mi"),
        scratchVolume("tmp", "64Mi"),
        { name: "datasources", configMap: { name: datasourcesMap.metadata.name } },
        { name: "dashboard-providers", configMap: { name: providersMap.metadata.name } },
        { name: "dashboards", configMap: { name: dashboardsMap.metadata.name } },
      ],
    });
    const service = this.service("grafana", "grafana", { name: "http", port: ports.grafana });

    const host = monitoring.grafanaHost;
    new k8s.apiextensions.CustomResource(
      "grafana-certificate",
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: meta("grafana-tls", this.namespace, labels),
        spec: {
          secretName: "grafana-tls",
          dnsNames: [host],
          issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuerName },
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          secretTemplate: { labels },
        },
      },
      this.child,
    );
    new k8s.networking.v1.Ingress(
      "grafana",
      {
        metadata: meta("grafana", this.namespace, labels, {
          "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
          "nginx.ingress.kubernetes.io/limit-rps": "10",
          "nginx.ingress.kubernetes.io/limit-connections": "20",
        }),
        spec: tlsIngressSpec(settings.ingress.className, host, "grafana-tls", service.metadata.name),
      },
      this.child,
    );
  }

  private exporters(settings: Settings, secrets: Secrets): void {
    // One exporter, on the primary (whichever instance that is): connections, transactions and database sizes.
    // Replication, archiving and backups come from the instances' own exporters (the `cloudnative-pg` job).
    const postgresTargets = [{ id: "postgres-exporter", host: databaseServices.readWrite, role: "primary" }];
    const pgUid = imageUsers.postgresExporter;
    for (const target of postgresTargets) {
      const extraLabels = { "football-prediction/database-role": target.role };
      this.deployment(target.id, {
        key: "postgresExporter",
        readsGeneratedPassword: true,
        extraLabels,
        containers: [
          {
            name: "postgres-exporter",
            ...thirdPartyImage(images.postgresExporter),
            args: [`--web.listen-address=:${ports.postgresExporter}`],
            env: [
              ...plainEnv({
                // The operator's server certificate is signed by its own CA: encrypted, not verified.
                DATA_SOURCE_URI: `${target.host}:5432/${settings.database.name}?sslmode=require`,
                DATA_SOURCE_USER: databaseRoles.monitor,
              }),
              secretEnv("DATA_SOURCE_PASS", secrets.monitorPassword.name, secrets.monitorPassword.key),
            ],
            ports: [{ name: "metrics", containerPort: ports.postgresExporter, protocol: "TCP" }],
            resources: sizes.small,
            securityContext: restrictedContainerSecurity(pgUid),
            readinessProbe: httpProbe("/", "metrics"),
            livenessProbe: tcpProbe("metrics", 20),
          },
        ],
        volumes: [],
      });
      this.service(target.id, "postgresExporter", { name: "metrics", port: ports.postgresExporter }, extraLabels);
    }

    const redisUid = imageUsers.redisExporter;
    this.deployment("redis-exporter", {
      key: "redisExporter",
      readsGeneratedPassword: true,
      containers: [
        {
          name: "redis-exporter",
          ...thirdPartyImage(images.redisExporter),
          env: [
            ...plainEnv({ REDIS_ADDR: `redis://${REDIS_HOST}:6379`, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `:${ports.redisExporter}` }),
            secretEnv("REDIS_PASSWORD", secrets.redisPassword.name, secrets.redisPassword.key),
          ],
          ports: [{ name: "metrics", containerPort: ports.redisExporter, protocol: "TCP" }],
          resources: sizes.small,
          securityContext: restrictedContainerSecurity(redisUid),
          readinessProbe: httpProbe("/health", "metrics"),
          livenessProbe: httpProbe("/health", "metrics", 20),
        },
      ],
      volumes: [],
    });
    this.service("redis-exporter", "redisExporter", { name: "metrics", port: ports.redisExporter });
  }

  /**
   * kube-state-metrics reporting on this namespace alone and only on the objects the rules and dashboards read,
   * so a namespaced Role (list and watch on exactly those) is all it needs; no cluster-wide instance is assumed.
   */
  private kubeStateMetrics(settings: Settings): pulumi.Output<string> {
    const uid = imageUsers.kubeStateMetrics;
    return this.deployment(apiClientAccounts.kubeStateMetrics, {
      key: "kubeStateMetrics",
      automountToken: true,
      containers: [
        {
          name: "kube-state-metrics",
          ...thirdPartyImage(images.kubeStateMetrics),
          args: [
            `--port=${ports.kubeStateMetrics}`,
            `--telemetry-port=${KUBE_STATE_METRICS_TELEMETRY_PORT}`,
            `--namespaces=${settings.namespace}`,
            `--resources=${Object.values(kubeStateMetricsResources).flat().join(",")}`,
          ],
          ports: [
            { name: "metrics", containerPort: ports.kubeStateMetrics, protocol: "TCP" },
            { name: "telemetry", containerPort: KUBE_STATE_METRICS_TELEMETRY_PORT, protocol: "TCP" },
          ],
          resources: sizes.small,
          securityContext: restrictedContainerSecurity(uid),
          readinessProbe: httpProbe("/readyz", "telemetry"),
          livenessProbe: httpProbe("/livez", "metrics", 20),
        },
      ],
      volumes: [],
    });
  }

  private service(
    id: string,
    key: MonitoringWorkload,
    port: { name: string; port: number },
    extraLabels: Labels = {},
  ): k8s.core.v1.Service {
    return clusterService(
      id,
      this.namespace,
      this.labels(key, extraLabels),
      { ...selectorLabels(this.instance, workloads[key]), ...extraLabels },
      [port],
      this.child,
    );
  }
}
