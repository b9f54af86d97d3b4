import * as pulumi from "@pulumi/pulumi";
import { charts, fullRepository } from "../charts";
import type { PlatformSettings } from "../config";
import { chartRelease, TYPE_PREFIX } from "./chartRelease";
import { operatorResources } from "./resources";

export interface CloudNativePgArgs {
  settings: PlatformSettings;
  /** The operator's namespace (the plugin must share it: the operator discovers plugins by their Service there). */
  namespace: pulumi.Output<string>;
  /** The plugin's certificates come from cert-manager, so its release waits for cert-manager's. */
  certManager: pulumi.Resource;
}

/** The name a Cluster's `spec.plugins[].name` (and a ScheduledBackup's `pluginConfiguration`) uses for the plugin. */
export const BARMAN_CLOUD_PLUGIN_NAME = "barman-cloud.cloudnative-pg.io";

export function cloudnativePgValues(settings: PlatformSettings): Record<string, unknown> {
  const { operator } = charts.cloudnativePg.images;
  return {
    crds: { create: true },
    replicaCount: settings.cloudnativePg.replicas,
    image: { repository: fullRepository(operator), tag: operator.tag },
    resources: operatorResources.cloudnativePg,
    // PodMonitors need the Prometheus Operator's CRDs, which kube-prometheus-stack brings (issue 11).
    monitoring: { podMonitorEnabled: false },
  };
}

export function barmanCloudValues(): Record<string, unknown> {
  const { plugin, sidecar } = charts.barmanCloud.images;
  return {
    crds: { create: true },
    image: { registry: plugin.registry, repository: plugin.repository, tag: plugin.tag },
    sidecarImage: { registry: sidecar.registry, repository: sidecar.repository, tag: sidecar.tag },
    resources: operatorResources.barmanCloud,
  };
}

/**
 * The CloudNativePG operator (owner of every PostgreSQL Cluster's failover, backups and recovery) and its Barman
 * Cloud plugin (WAL archiving and base backups to S3-compatible object storage through the plugin's ObjectStore).
 */
export class CloudNativePg extends pulumi.ComponentResource {
  constructor(name: string, args: CloudNativePgArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:CloudNativePg`, name, {}, opts);
    const operator = chartRelease(
      "cloudnative-pg",
      { chart: charts.cloudnativePg, namespace: args.namespace, values: cloudnativePgValues(args.settings) },
      { parent: this },
    );
    chartRelease(
      "barman-cloud",
      { chart: charts.barmanCloud, namespace: args.namespace, values: barmanCloudValues() },
      { parent: this, dependsOn: [operator, args.certManager] },
    );
    this.registerOutputs({});
  }
}
