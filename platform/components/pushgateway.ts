import { charts, fullRepository } from "../charts";
import type { PlatformSettings } from "../config";
import { platformLabels } from "../labels";
import { MONITORING } from "../outputs";
import { operatorResources } from "./resources";

/**
 * The shared Pushgateway: the one place the environments' batch jobs (the daily backup, the importer) push their
 * last run's metrics, grouped by their `namespace` label. Names follow the prometheus-pushgateway chart
 * (prometheus-community/helm-charts, charts/prometheus-pushgateway/templates/_helpers.tpl): `fullnameOverride`
 * names the Service, and the pods carry the chart's selector labels.
 */
export const PUSHGATEWAY = {
  service: "pushgateway",
  port: 9091,
  portName: "http",
  podLabels: {
    "app.kubernetes.io/name": charts.pushgateway.chart,
    "app.kubernetes.io/instance": charts.pushgateway.release,
  },
} as const;

const DATA_DIR = "/data";

/** Where jobs push: the Service inside the cluster, plain HTTP (the NetworkPolicies decide who may reach it). */
export function pushgatewayUrl(): string {
  return `http://${PUSHGATEWAY.service}.${charts.pushgateway.namespace}.svc:${PUSHGATEWAY.port}`;
}

/**
 * Chart values. The metrics live in one file on a PersistentVolume: a backup pushes once a day, and a restart must not
 * lose that push (the freshness alert would fire until the next run). One replica with `Recreate`, because the
 * ReadWriteOnce volume holds one writer and two Pushgateways would each hold half of the pushes. The chart's own
 * ServiceMonitor stays off: `pushgatewayServiceMonitor` below is rendered by this project, so it is previewed,
 * validated against the CRD and carries the include label.
 */
export function pushgatewayValues(settings: PlatformSettings): Record<string, unknown> {
  const pin = charts.pushgateway.images.pushgateway;
  return {
    fullnameOverride: PUSHGATEWAY.service,
    image: { repository: fullRepository(pin), tag: pin.tag, pullPolicy: "IfNotPresent" },
    service: { type: "ClusterIP", port: PUSHGATEWAY.port, targetPort: PUSHGATEWAY.port, portName: PUSHGATEWAY.portName },
    replicaCount: 1,
    strategy: { type: "Recreate" },
    // It never calls the API server.
    automountServiceAccountToken: false,
    resources: operatorResources.pushgateway,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    persistentVolume: {
      enabled: true,
      accessModes: ["ReadWriteOnce"],
      size: "1Gi",
      storageClass: settings.storageClasses.default,
      mountPath: DATA_DIR,
    },
    // The chart mounts the volume but leaves persistence to the flags (its values.yaml says so).
    extraArgs: [`--persistence.file=${DATA_DIR}/pushgateway.data`, "--persistence.interval=1m"],
    serviceMonitor: { enabled: false },
  };
}

/**
 * The Pushgateway's ServiceMonitor. `honorLabels: true` keeps the labels the jobs pushed (`job`, `instance` and the
 * `namespace` grouping label) instead of overwriting them with the Pushgateway's own target labels, which is what
 * makes one shared Pushgateway tell the environments apart (prometheus/pushgateway README, "About the job and
 * instance labels").
 */
export function pushgatewayServiceMonitor() {
  const { namespace } = charts.pushgateway;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: {
      name: PUSHGATEWAY.service,
      namespace,
      labels: { ...platformLabels("pushgateway"), [MONITORING.includeLabel]: "true" },
    },
    spec: {
      selector: { matchLabels: PUSHGATEWAY.podLabels },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: PUSHGATEWAY.portName, path: "/metrics", honorLabels: true }],
    },
  };
}
