/**
 * Requests and limits of the operators' containers, in one place. These pods are small and steady: the controllers
 * cache the objects they watch, so memory grows with the number of Certificates, Clusters and pods, and the limits
 * leave room for a cluster several times today's size.
 */
const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

export const operatorResources = {
  certManager: resources("20m", "64Mi", "200m", "256Mi"),
  certManagerWebhook: resources("10m", "32Mi", "100m", "128Mi"),
  certManagerCainjector: resources("10m", "64Mi", "100m", "256Mi"),
  cloudnativePg: resources("50m", "128Mi", "500m", "512Mi"),
  barmanCloud: resources("20m", "64Mi", "200m", "256Mi"),
  fluentBit: resources("50m", "64Mi", "250m", "256Mi"),
  envoyGateway: resources("50m", "128Mi", "500m", "512Mi"),
  // The data plane carries every public request: CPU grows with request rate, memory with buffered bodies.
  envoyProxy: resources("100m", "128Mi", "1", "512Mi"),
  prometheusOperator: resources("50m", "128Mi", "500m", "512Mi"),
  configReloader: resources("10m", "32Mi", "100m", "64Mi"),
  // Prometheus holds the head block (about the last two hours of every series) in memory: memory grows with the
  // number of series, which the cluster's pods and the environments' metrics set.
  prometheus: resources("200m", "1Gi", "2", "4Gi"),
  alertmanager: resources("20m", "64Mi", "200m", "256Mi"),
  grafana: resources("50m", "128Mi", "500m", "512Mi"),
  grafanaSidecar: resources("10m", "64Mi", "100m", "128Mi"),
  kubeStateMetrics: resources("20m", "64Mi", "200m", "256Mi"),
  nodeExporter: resources("20m", "32Mi", "200m", "64Mi"),
  webhookCertgen: resources("10m", "32Mi", "100m", "64Mi"),
  pushgateway: resources("10m", "32Mi", "100m", "128Mi"),
} as const;
