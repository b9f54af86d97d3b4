import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { charts, type ImagePin } from "../charts";
import type { PlatformSettings } from "../config";
import { platformLabels } from "../labels";
import { MONITORING, type PlatformOutputs } from "../outputs";
import { ALERTMANAGER_BASE_CONFIG } from "./alertmanagerBase";
import { chartRelease, TYPE_PREFIX } from "./chartRelease";
import { PUSHGATEWAY, pushgatewayServiceMonitor, pushgatewayUrl, pushgatewayValues } from "./pushgateway";
import { operatorResources } from "./resources";

/**
 * node-exporter reads the node's /proc, /sys and root filesystem through hostPath with the host's network and PID
 * namespaces, which only the privileged Pod Security level admits; it gets a namespace of its own at that level so
 * `monitoring` (the operator, Prometheus, Alertmanager, Grafana, the Pushgateway) stays restricted.
 */
export const NODE_EXPORTER_NAMESPACE = "node-exporter";

/** The chart's fullname: every object it names is `<this>-…`, e.g. the Prometheus `monitoring-prometheus`. */
const FULLNAME = "monitoring";
export const PROMETHEUS_NAME = `${FULLNAME}-prometheus`;
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** The uid of Grafana's default datasource (this Prometheus), which the environments' dashboards name. */
export const GRAFANA_DATASOURCE_UID = "prometheus";

/**
 * Labels the Prometheus Operator gives every Prometheus pod: its StatefulSet selector labels, immutable by design
 * (prometheus-operator/prometheus-operator, pkg/prometheus/server/statefulset.go, `podSelectorLabels`). Two suffice
 * to pick this Prometheus out of any others.
 */
export const PROMETHEUS_POD_LABELS = {
  "app.kubernetes.io/name": "prometheus",
  "operator.prometheus.io/name": PROMETHEUS_NAME,
} as const;

const INCLUDE = { [MONITORING.includeLabel]: "true" };
/** What Prometheus and Alertmanager select, in every namespace (an empty namespace selector means all of them). */
export const INCLUDE_SELECTOR = { matchLabels: INCLUDE };

function image(pin: ImagePin) {
  return { registry: pin.registry, repository: pin.repository, tag: pin.tag };
}

const RUNTIME_DEFAULT = { type: "RuntimeDefault" };

/** Pod-level settings the restricted Pod Security level asks for, with the uid/gid the chart's image expects. */
function podSecurity(uid: number, gid = uid) {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: RUNTIME_DEFAULT };
}

const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

/** A PodDisruptionBudget only with more than one pod: with one it would block every drain. */
function disruptionBudget(replicas: number) {
  return replicas > 1 ? { enabled: true, minAvailable: replicas - 1 } : { enabled: false };
}

function volumeClaim(storageClass: string, size: string) {
  return { volumeClaimTemplate: { spec: { storageClassName: storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } } };
}

/**
 * Prometheus selects, in every namespace, the PrometheusRules, ServiceMonitors, PodMonitors, Probes and ScrapeConfigs
 * carrying the include label. The `*NilUsesHelmValues: false` knobs stop the chart from replacing an empty selector
 * by its own `release: <release>` one (charts/kube-prometheus-stack/templates/prometheus/prometheus.yaml).
 */
function selectors() {
  const kinds = ["rule", "serviceMonitor", "podMonitor", "probe", "scrapeConfig"] as const;
  return Object.fromEntries(
    kinds.flatMap((kind) => [
      [`${kind}SelectorNilUsesHelmValues`, false],
      [`${kind}Selector`, INCLUDE_SELECTOR],
      [`${kind}NamespaceSelector`, {}],
    ]),
  );
}

function prometheusValues(settings: PlatformSettings) {
  const { prometheus } = settings.monitoring;
  return {
    podDisruptionBudget: disruptionBudget(prometheus.replicas),
    prometheusSpec: {
      image: image(charts.kubePrometheusStack.images.prometheus),
      replicas: prometheus.replicas,
      retention: `${prometheus.retentionDays}d`,
      // Blocks are dropped oldest first once either limit is reached; the size cap leaves room on the volume for the
      // write-ahead log and a compaction in progress, so a busy week cannot fill it (Prometheus's GB are GiB).
      retentionSize: `${Math.floor(prometheus.storageGi * 0.8)}GB`,
      storageSpec: volumeClaim(settings.storageClasses.default, `${prometheus.storageGi}Gi`),
      externalLabels: { cluster: settings.cluster.name },
      resources: operatorResources.prometheus,
      securityContext: podSecurity(1000, 2000),
      ...selectors(),
    },
  };
}

function alertmanagerValues(settings: PlatformSettings) {
  const { replicas } = settings.monitoring.alertmanager;
  return {
    config: ALERTMANAGER_BASE_CONFIG,
    podDisruptionBudget: disruptionBudget(replicas),
    alertmanagerSpec: {
      image: image(charts.kubePrometheusStack.images.alertmanager),
      replicas,
      alertmanagerConfigSelector: INCLUDE_SELECTOR,
      alertmanagerConfigNamespaceSelector: {},
      // Each AlertmanagerConfig only ever sees alerts of its own namespace.
      alertmanagerConfigMatcherStrategy: { type: "OnNamespace" },
      // Silences and the notification log survive a restart of all replicas at once.
      storage: volumeClaim(settings.storageClasses.default, "1Gi"),
      resources: operatorResources.alertmanager,
      securityContext: podSecurity(1000, 2000),
    },
  };
}

/**
 * Grafana with the dashboard sidecar: every ConfigMap labelled `grafana_dashboard: "1"` in any namespace becomes a
 * dashboard, in the folder its `grafana_folder` annotation names (`foldersFromFilesStructure`, grafana chart README).
 * The admin login comes from a Secret this project creates, so the password is never a chart value; no anonymous
 * access and no calls home. No persistence: the dashboards and datasources are provisioned at every start.
 */
function grafanaValues() {
  const { images } = charts.kubePrometheusStack;
  return {
    enabled: true,
    image: image(images.grafana),
    resources: operatorResources.grafana,
    admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
    "grafana.ini": {
      analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
      "auth.anonymous": { enabled: false },
      users: { allow_sign_up: false },
    },
    securityContext: podSecurity(472),
    containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: RUNTIME_DEFAULT },
    // Neither the helm-test pod nor the volume-ownership init container runs here, so their images stay unpulled.
    testFramework: { enabled: false },
    initChownData: { enabled: false },
    serviceMonitor: { enabled: true, labels: INCLUDE },
    sidecar: {
      image: image(images.grafanaSidecar),
      resources: operatorResources.grafanaSidecar,
      dashboards: {
        enabled: true,
        label: MONITORING.dashboardLabel,
        labelValue: "1",
        searchNamespace: "ALL",
        folderAnnotation: MONITORING.dashboardFolderAnnotation,
        provider: { foldersFromFilesStructure: true },
      },
      datasources: { enabled: true, defaultDatasourceEnabled: true, isDefaultDatasource: true, uid: GRAFANA_DATASOURCE_UID },
    },
  };
}

/**
 * The chart values. The chart's own monitors and rules (the kubelet with cAdvisor, the API server, CoreDNS,
 * kube-state-metrics, node-exporter, the operator, Prometheus, Alertmanager, Grafana) get the include label too:
 * `commonLabels` for the chart's templates, each subchart's monitor labels for theirs. A label selector cannot say
 * "this label or that one", so one label admits the chart's objects and the environments' alike.
 */
export function kubePrometheusStackValues(settings: PlatformSettings, nodeExporterNamespace: pulumi.Input<string>): Record<string, unknown> {
  const { images } = charts.kubePrometheusStack;
  return {
    fullnameOverride: FULLNAME,
    commonLabels: INCLUDE,
    crds: { enabled: true },
    defaultRules: { create: true },
    prometheusOperator: {
      image: image(images.operator),
      resources: operatorResources.prometheusOperator,
      securityContext: podSecurity(65534),
      containerSecurityContext: CONTAINER_SECURITY,
      prometheusConfigReloader: { image: image(images.configReloader), resources: operatorResources.configReloader },
      admissionWebhooks: {
        patch: { image: image(images.webhookCertgen), resources: operatorResources.webhookCertgen, securityContext: podSecurity(2000) },
      },
    },
    prometheus: prometheusValues(settings),
    alertmanager: alertmanagerValues(settings),
    grafana: grafanaValues(),
    kubeStateMetrics: { enabled: true },
    "kube-state-metrics": {
      image: image(images.kubeStateMetrics),
      resources: operatorResources.kubeStateMetrics,
      prometheus: { monitor: { enabled: true, additionalLabels: INCLUDE } },
    },
    nodeExporter: { enabled: true },
    "prometheus-node-exporter": {
      namespaceOverride: nodeExporterNamespace,
      image: image(images.nodeExporter),
      resources: operatorResources.nodeExporter,
      // The host's namespaces and a read-only view of its filesystem are all it needs: no uid 0, no capabilities.
      securityContext: podSecurity(65534),
      containerSecurityContext: CONTAINER_SECURITY,
      prometheus: { monitor: { enabled: true, additionalLabels: INCLUDE } },
    },
  };
}

export interface MonitoringArgs {
  settings: PlatformSettings;
  /** `monitoring` (restricted): the stack and the Pushgateway. */
  namespace: pulumi.Output<string>;
  /** `node-exporter` (privileged): node-exporter only. */
  nodeExporterNamespace: pulumi.Output<string>;
}

/**
 * The cluster's monitoring: kube-prometheus-stack (the Prometheus Operator, an HA Prometheus and Alertmanager,
 * Grafana, kube-state-metrics, node-exporter) and the shared Pushgateway. Environments take part with labels alone
 * (`MONITORING` in platform/outputs.ts); `output` is what they read.
 */
export class Monitoring extends pulumi.ComponentResource {
  public readonly output: PlatformOutputs["monitoring"];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Monitoring`, name, {}, opts);
    const { settings, namespace } = args;
    const password = new random.RandomPassword("grafana-admin-password", { length: 32, special: false }, { parent: this });
    const adminSecret = new k8s.core.v1.Secret(
      "grafana-admin",
      {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace, labels: platformLabels("grafana") },
        type: "Opaque",
        stringData: { "admin-user": "admin", "admin-password": pulumi.secret(password.result) },
      },
      { parent: this },
    );
    const stack = chartRelease(
      "kube-prometheus-stack",
      { chart: charts.kubePrometheusStack, namespace, values: kubePrometheusStackValues(settings, args.nodeExporterNamespace) },
      { parent: this, dependsOn: [adminSecret] },
    );
    chartRelease("pushgateway", { chart: charts.pushgateway, namespace, values: pushgatewayValues(settings) }, { parent: this });
    // The ServiceMonitor kind is one of the CRDs the stack's release installs.
    new k8s.apiextensions.CustomResource("pushgateway-service-monitor", pushgatewayServiceMonitor(), { parent: this, dependsOn: [stack] });

    this.output = {
      namespace: charts.kubePrometheusStack.namespace,
      includeLabel: MONITORING.includeLabel,
      dashboardLabel: MONITORING.dashboardLabel,
      dashboardFolderAnnotation: MONITORING.dashboardFolderAnnotation,
      prometheusPodLabels: { ...PROMETHEUS_POD_LABELS },
      pushgatewayUrl: pushgatewayUrl(),
      pushgatewayPodLabels: { ...PUSHGATEWAY.podLabels },
      pushgatewayPort: PUSHGATEWAY.port,
    };
    this.registerOutputs({ output: this.output });
  }
}
