/**
 * The platform program: what every environment on a cluster shares, installed once per cluster from pinned upstream
 * charts (platform/charts.ts): cert-manager with the ClusterIssuers, the CloudNativePG operator with its Barman
 * Cloud plugin, Envoy Gateway (the Gateway API implementation of every environment's edge), the monitoring
 * (kube-prometheus-stack and a shared Pushgateway), and one Fluent Bit for the whole cluster. Its outputs (platform/outputs.ts) are the contract the
 * environment stacks read through a StackReference. The offline harness (platform/offline.ts) runs this same
 * function under Pulumi's mock runtime.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { enforceProblems } from "../infra/readiness";
import { charts } from "./charts";
import { CertManager } from "./components/certManager";
import { BARMAN_CLOUD_PLUGIN_NAME, CloudNativePg } from "./components/cloudnativePg";
import { EnvoyGateway, GATEWAY_CLASS } from "./components/envoyGateway";
import { LogPipeline } from "./components/logPipeline";
import { Monitoring, NODE_EXPORTER_NAMESPACE } from "./components/monitoring";
import { PreviewGuard } from "./components/previewGuard";
import { loadKubeconfig, loadPlatformSettings } from "./config";
import { podSecurityLabels, platformLabels, type PodSecurityLevel } from "./labels";
import { platformReadinessProblems } from "./readiness";
import { GATEWAY, LOG_PIPELINE, platformOutputs, type PlatformOutputs } from "./outputs";
import type { ChartPin } from "./charts";

/** Pod Security level per platform namespace: only the log shipper and node-exporter read host paths. */
const NAMESPACES: Record<string, PodSecurityLevel> = {
  [charts.certManager.namespace]: "restricted",
  [charts.cloudnativePg.namespace]: "restricted",
  [charts.fluentBit.namespace]: "privileged",
  [charts.envoyGateway.namespace]: "restricted",
  [charts.kubePrometheusStack.namespace]: "restricted",
  [NODE_EXPORTER_NAMESPACE]: "privileged",
};

function operatorOutput(chart: ChartPin): PlatformOutputs["operators"]["certManager"] {
  return { namespace: chart.namespace, version: chart.appVersion, chart: chart.chart, chartVersion: chart.version };
}

export = async () => {
  const settings = loadPlatformSettings();
  enforceProblems(pulumi.getStack(), platformReadinessProblems(pulumi.getStack(), settings));
  const target = loadKubeconfig();
  // Unset kubeconfig and context mean the ambient kubeconfig, so `pulumi up` targets whatever cluster kubectl does.
  const provider = new k8s.Provider("kubernetes", { kubeconfig: target.kubeconfig, context: target.context });
  const opts = { providers: [provider] };

  const namespace = (name: string) =>
    new k8s.core.v1.Namespace(
      `namespace-${name}`,
      { metadata: { name, labels: { ...platformLabels("namespace"), ...podSecurityLabels(NAMESPACES[name]) } } },
      { provider },
    ).metadata.name;

  const certManager = new CertManager("cert-manager", { settings, namespace: namespace(charts.certManager.namespace) }, opts);
  new CloudNativePg(
    "cloudnative-pg",
    { settings, namespace: namespace(charts.cloudnativePg.namespace), certManager },
    opts,
  );
  new EnvoyGateway("envoy-gateway", { settings, namespace: namespace(charts.envoyGateway.namespace) }, opts);
  const monitoring = new Monitoring(
    "monitoring",
    {
      settings,
      namespace: namespace(charts.kubePrometheusStack.namespace),
      nodeExporterNamespace: namespace(NODE_EXPORTER_NAMESPACE),
    },
    opts,
  );
  // Before any environment's preview identity exists, so none is ever unguarded.
  new PreviewGuard("preview-guard", opts);
  if (settings.logPipeline.enabled) {
    new LogPipeline(
      "log-pipeline",
      { cluster: settings.cluster, pipeline: settings.logPipeline, namespace: namespace(charts.fluentBit.namespace) },
      opts,
    );
  }

  const { cluster } = settings;
  return platformOutputs({
    cluster: cluster.name,
    environments: cluster.environments,
    issuers: certManager.issuerNames,
    storageClasses: settings.storageClasses,
    clusterNetwork: {
      dnsNamespace: cluster.dnsNamespace,
      dnsPodLabels: cluster.dnsPodLabels,
      apiServerCidrs: cluster.apiServerCidrs,
      apiServerPorts: cluster.apiServerPorts,
    },
    gateway: {
      className: GATEWAY_CLASS,
      proxyNamespace: charts.envoyGateway.namespace,
      gatewayName: GATEWAY.name,
      ownerNamespaceLabel: GATEWAY.ownerNamespaceLabel,
      ownerNameLabel: GATEWAY.ownerNameLabel,
    },
    logPipeline: { enabled: settings.logPipeline.enabled, namespace: charts.fluentBit.namespace, ...LOG_PIPELINE },
    monitoring: monitoring.output,
    operators: {
      certManager: operatorOutput(charts.certManager),
      cloudnativePg: operatorOutput(charts.cloudnativePg),
      barmanCloud: { ...operatorOutput(charts.barmanCloud), pluginName: BARMAN_CLOUD_PLUGIN_NAME },
      fluentBit: operatorOutput(charts.fluentBit),
      envoyGateway: operatorOutput(charts.envoyGateway),
      prometheusOperator: operatorOutput(charts.kubePrometheusStack),
    },
  });
};
