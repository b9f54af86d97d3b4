/**
 * Every chart the platform installs, pinned in one table, like infra/images.ts: the Helm repository, chart name and
 * version, the release name and namespace, and the images the release runs. Images are pinned here too rather than
 * left to the chart's appVersion default, so an image change is a reviewed line even when the chart stays. The Release
 * component (components/chartRelease.ts) takes any row.
 *
 * Versions were chosen to match the CRDs the environment stacks are validated against (CloudNativePG 1.30.0, the
 * Barman Cloud plugin v0.14.0): see platform/README.md for where each pin comes from and how to upgrade one.
 */
export interface ImagePin {
  /** Registry host, e.g. `quay.io`. */
  registry: string;
  /** Repository path inside the registry, e.g. `jetstack/cert-manager-controller`. */
  repository: string;
  /** A released tag, never `latest`. */
  tag: string;
}

export interface ChartPin {
  /** The Helm repository (`helm repo add <name> <url>`). */
  repository: string;
  chart: string;
  version: string;
  /** The application version the chart ships: what the operator reports and what the CRDs belong to. */
  appVersion: string;
  /** Helm release name; also the prefix of the objects the chart names after its release. */
  release: string;
  namespace: string;
  images: Record<string, ImagePin>;
  /**
   * The chart's own values.schema.json, vendored under platform/charts/ (see its SOURCE.md); undefined when the
   * chart ships none. The offline tests validate the values the program sets against it, as `helm install` would.
   */
  valuesSchema?: string;
}

const certManagerImage = (component: string): ImagePin => ({
  registry: "quay.io",
  repository: `jetstack/cert-manager-${component}`,
  tag: "v1.21.2",
});

export const charts = {
  certManager: {
    repository: "https://charts.jetstack.io",
    chart: "cert-manager",
    version: "v1.21.2",
    appVersion: "v1.21.2",
    release: "cert-manager",
    namespace: "cert-manager",
    images: {
      controller: certManagerImage("controller"),
      webhook: certManagerImage("webhook"),
      cainjector: certManagerImage("cainjector"),
      acmesolver: certManagerImage("acmesolver"),
      startupapicheck: certManagerImage("startupapicheck"),
    },
    valuesSchema: "cert-manager/values.schema.json",
  },
  cloudnativePg: {
    repository: "https://cloudnative-pg.github.io/charts",
    chart: "cloudnative-pg",
    version: "0.29.0",
    appVersion: "1.30.0",
    release: "cnpg",
    namespace: "cnpg-system",
    images: {
      operator: { registry: "ghcr.io", repository: "cloudnative-pg/cloudnative-pg", tag: "1.30.0" },
    },
    valuesSchema: "cloudnative-pg/values.schema.json",
  },
  // The plugin must run in the operator's namespace: the operator discovers plugins by their Service there.
  barmanCloud: {
    repository: "https://cloudnative-pg.github.io/charts",
    chart: "plugin-barman-cloud",
    version: "0.7.1",
    appVersion: "v0.14.0",
    release: "barman-cloud",
    namespace: "cnpg-system",
    images: {
      plugin: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud", tag: "v0.14.0" },
      sidecar: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud-sidecar", tag: "v0.14.0" },
    },
    valuesSchema: "plugin-barman-cloud/values.schema.json",
  },
  fluentBit: {
    repository: "https://fluent.github.io/helm-charts",
    chart: "fluent-bit",
    version: "0.54.1",
    appVersion: "4.1.1",
    release: "fluent-bit",
    namespace: "log-shipping",
    images: {
      fluentBit: { registry: "cr.fluentbit.io", repository: "fluent/fluent-bit", tag: "4.1.1" },
    },
    // The fluent/helm-charts fluent-bit chart ships no values.schema.json.
  },
  // The Gateway API implementation of the edge (ingress-nginx is retired). Its chart installs the Gateway API
  // standard-channel CRDs and Envoy Gateway's own; `proxy` is the Envoy data plane the controller runs per Gateway,
  // pinned through the EnvoyProxy object the GatewayClass names (platform/components/envoyGateway.ts). The global
  // rate-limit service is not enabled (the edge limit is Envoy's local one), so its image is not pinned here.
  envoyGateway: {
    repository: "oci://docker.io/envoyproxy",
    chart: "gateway-helm",
    version: "v1.6.0",
    appVersion: "v1.6.0",
    release: "envoy-gateway",
    namespace: "envoy-gateway-system",
    images: {
      controller: { registry: "docker.io", repository: "envoyproxy/gateway", tag: "v1.6.0" },
      proxy: { registry: "docker.io", repository: "envoyproxy/envoy", tag: "distroless-v1.36.2" },
    },
    // gateway-helm ships no values.schema.json.
  },
  // The Prometheus Operator with the cluster's one Prometheus, Alertmanager, Grafana (and its dashboard sidecar),
  // kube-state-metrics and node-exporter. Chart 88.6.1 ships operator v0.93.1 with Prometheus v3.14.0, Alertmanager
  // v0.34.0, kube-state-metrics v2.20.0 and certgen 1.8.8 as its defaults, as a third-party upgrade inventory records
  // from the tag's Chart.yaml and values.yaml; Grafana, its sidecar and node-exporter are releases other 88.x installs
  // run. No copy of the tag itself was at hand, so these pins are unverified against the release archive: check them
  // with `helm show values` before the first `pulumi up` (charts/SOURCE.md). The admission webhook's certificates
  // come from the certgen Job, so its image is pinned too.
  kubePrometheusStack: {
    repository: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "88.6.1",
    appVersion: "v0.93.1",
    release: "kube-prometheus-stack",
    namespace: "monitoring",
    images: {
      operator: { registry: "quay.io", repository: "prometheus-operator/prometheus-operator", tag: "v0.93.1" },
      configReloader: { registry: "quay.io", repository: "prometheus-operator/prometheus-config-reloader", tag: "v0.93.1" },
      prometheus: { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.14.0" },
      alertmanager: { registry: "quay.io", repository: "prometheus/alertmanager", tag: "v0.34.0" },
      grafana: { registry: "docker.io", repository: "grafana/grafana", tag: "13.2.0" },
      grafanaSidecar: { registry: "quay.io", repository: "kiwigrid/k8s-sidecar", tag: "2.10.1" },
      kubeStateMetrics: { registry: "registry.k8s.io", repository: "kube-state-metrics/kube-state-metrics", tag: "v2.20.0" },
      nodeExporter: { registry: "quay.io", repository: "prometheus/node-exporter", tag: "v1.12.1" },
      webhookCertgen: { registry: "ghcr.io", repository: "jkroepke/kube-webhook-certgen", tag: "1.8.8" },
    },
    // kube-prometheus-stack ships no values.schema.json (prometheus-community/helm-charts issue 4635, closed unmerged).
  },
  // The shared Pushgateway: kube-prometheus-stack ships none. Backup and import jobs of every environment push here
  // (grouped by their `namespace` label); chart 3.9.0 ships Pushgateway v1.11.3 (unverified, as above).
  pushgateway: {
    repository: "https://prometheus-community.github.io/helm-charts",
    chart: "prometheus-pushgateway",
    version: "3.9.0",
    appVersion: "v1.11.3",
    release: "pushgateway",
    namespace: "monitoring",
    images: {
      pushgateway: { registry: "quay.io", repository: "prometheus/pushgateway", tag: "v1.11.3" },
    },
    // prometheus-pushgateway ships no values.schema.json.
  },
} as const satisfies Record<string, ChartPin>;

export type ChartKey = keyof typeof charts;

/** `registry/repository`, the form charts without a separate registry value take. */
export function fullRepository(image: ImagePin): string {
  return `${image.registry}/${image.repository}`;
}

export function imageRef(image: ImagePin): string {
  return `${fullRepository(image)}:${image.tag}`;
}
