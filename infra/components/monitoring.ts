import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringSettings, Settings } from "../config";
import { meta, statefulSetClaim } from "../k8s";
import { instanceLabels, type Labels } from "../labels";
import {
  alertmanagerConfigSpec,
  defaultThresholds,
  monitors,
  prometheusRuleSpec,
  renderGrafanaDashboards,
  type ObservabilitySettings,
} from "../observability";
import type { Platform } from "../platform";
import { BACKUP_CLAIM } from "./backups";
import { TYPE_PREFIX, type StackContext } from "./context";
import { CLUSTER_NAME } from "./database/names";
import type { Secrets } from "./secrets";
import { REDIS_STATEFUL_SET } from "./redis";

export interface MonitoringArgs extends StackContext {
  monitoring: MonitoringSettings;
  secrets: Secrets;
}

const MONITORING_API = "monitoring.coreos.com";
/** The one name of the stack's PrometheusRule and AlertmanagerConfig (each namespace has its own). */
const OBJECT_NAME = "football-prediction";

/**
 * CloudNativePG names each instance's data claim `<cluster>-<serial>` (its WAL claim `<cluster>-<serial>-wal`), and
 * serials grow as instances are replaced: a pattern, not a list.
 */
const POSTGRES_CLAIMS = `${CLUSTER_NAME}-[0-9]+(-wal)?`;

/** The settings the rules, monitors, routes and dashboards are made for. */
export function observabilitySettings(settings: Settings, monitoring: MonitoringSettings): ObservabilitySettings {
  return {
    environment: settings.environment,
    namespace: settings.namespace,
    scrapeInterval: monitoring.scrapeInterval,
    evaluationInterval: monitoring.evaluationInterval,
    postgresCluster: CLUSTER_NAME,
    postgresInstances: settings.database.instances,
    continuousBackups: settings.backups.s3 !== undefined,
    volumeClaims: { postgres: POSTGRES_CLAIMS, redis: statefulSetClaim("data", REDIS_STATEFUL_SET), backups: BACKUP_CLAIM },
    thresholds: { ...defaultThresholds, ...monitoring.thresholds },
  };
}

/**
 * The stack's part of the cluster's monitoring, as Prometheus Operator objects the platform's kube-prometheus-stack
 * selects by the platform's include label (platform/outputs.ts, MONITORING): the alert rules (PrometheusRule), what
 * to scrape (ServiceMonitors and PodMonitors), how this stack's alerts reach people (AlertmanagerConfig, whose
 * receivers' secrets the operator reads from the stack's Secret) and the dashboards (ConfigMaps Grafana's sidecar
 * loads). Nothing here runs a pod: Prometheus, Alertmanager, Grafana and the Pushgateway are the cluster's.
 */
export class Monitoring extends pulumi.ComponentResource {
  /** Where people find the dashboards, when the platform exposes Grafana. */
  public readonly grafanaUrl: string | undefined;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Monitoring`, name, {}, opts);
    const { settings, monitoring, namespace, instance, secrets, platform } = args;
    const receivers = secrets.monitoring?.alertReceivers;
    if (receivers === undefined) {
      throw new Error("monitoring is enabled but the Secrets component made no receivers' Secret");
    }
    const child = { parent: this };
    this.grafanaUrl = platform.monitoring.grafanaUrl;
    const labels: Labels = { ...instanceLabels(instance, "monitoring"), [platform.monitoring.includeLabel]: "true" };
    const observability = observabilitySettings(settings, monitoring);
    const custom = (id: string, kind: string, apiVersion: string, objectName: string, spec: pulumi.Input<object>) =>
      new k8s.apiextensions.CustomResource(
        id,
        { apiVersion: `${MONITORING_API}/${apiVersion}`, kind, metadata: meta(objectName, namespace, labels), spec },
        child,
      );

    custom("prometheus-rule", "PrometheusRule", "v1", OBJECT_NAME, prometheusRuleSpec(observability));
    for (const monitor of monitors(observability)) {
      custom(`${monitor.kind.toLowerCase()}-${monitor.name}`, monitor.kind, "v1", monitor.name, monitor.spec);
    }
    // The receivers' Secret is named after its content, so its name is known once the Secret is made.
    const { pagerRoutingKey: pager, chatWebhookUrl: chat } = receivers;
    const receiverSecrets = pulumi
      .all([pager.name, chat.name])
      .apply(([pagerName, chatName]) => ({ pager: { name: pagerName, key: pager.key }, chat: { name: chatName, key: chat.key } }));
    custom("alertmanager-config", "AlertmanagerConfig", "v1alpha1", OBJECT_NAME, receiverSecrets.apply(alertmanagerConfigSpec));
    this.dashboards(observability, platform, namespace, instance);

    this.registerOutputs({ grafanaUrl: this.grafanaUrl });
  }

  /**
   * One ConfigMap per dashboard, in the folder named after the environment. Fixed names, updated in place (the
   * provider's `enableConfigMapMutable`, infra/index.ts): Grafana's sidecar rewrites the dashboard's file on the
   * update, where a replacement's late delete would remove the file the new object had just written.
   */
  private dashboards(s: ObservabilitySettings, platform: Platform, namespace: pulumi.Input<string>, instance: string) {
    const { dashboardLabel, dashboardFolderAnnotation } = platform.monitoring;
    const labels = { ...instanceLabels(instance, "dashboards"), [dashboardLabel]: "1" };
    for (const [file, json] of Object.entries(renderGrafanaDashboards(s))) {
      const id = `dashboard-${file.replace(/^football-prediction-/, "").replace(/\.json$/, "")}`;
      new k8s.core.v1.ConfigMap(
        id,
        {
          metadata: meta(id, namespace, labels, { [dashboardFolderAnnotation]: `Football prediction (${s.environment})` }),
          data: { [file]: json },
        },
        { parent: this },
      );
    }
  }
}
