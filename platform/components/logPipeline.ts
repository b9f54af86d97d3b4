import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dnsEgressRule } from "../../infra/components/networkPolicies";
import { charts, fullRepository } from "../charts";
import type { ClusterSettings, LogPipelineSettings } from "../config";
import { platformLabels } from "../labels";
import { LOG_PIPELINE } from "../outputs";
import { chartRelease, TYPE_PREFIX } from "./chartRelease";
import { operatorResources } from "./resources";

export interface LogPipelineArgs {
  cluster: ClusterSettings;
  pipeline: LogPipelineSettings;
  namespace: pulumi.Output<string>;
}

const HTTP_PORT = 2020;
const STATE_DIR = "/var/lib/fluent-bit";

/** The labels the chart puts on the Fluent Bit pods (its selector labels), which the NetworkPolicy selects. */
export const fluentBitPodLabels = {
  "app.kubernetes.io/name": charts.fluentBit.chart,
  "app.kubernetes.io/instance": charts.fluentBit.release,
};

/** A record accessor for a namespace label, as the kubernetes filter stores them (`Namespace_Labels On`). */
function namespaceLabel(key: string): string {
  return `$kubernetes_namespace['labels']['${key}']`;
}

/**
 * The pipeline, in the chart's `config` sections. Every container log of the node is tailed, but only namespaces
 * labelled `logs.football-prediction.io/ship: "true"` get past the grep filter, and a pod annotated
 * `fluentbit.io/exclude: "true"` is dropped by the kubernetes filter: environments opt in with labels alone. The
 * index prefix comes from the namespace's `logs.football-prediction.io/index` label (one index per prefix and day),
 * so each environment keeps its own indices and retention; JSON lines (pino) become fields under `app`.
 */
export function fluentBitConfig(cluster: ClusterSettings, pipeline: LogPipelineSettings): Record<string, string> {
  const es = pipeline.elasticsearch;
  return {
    service: `[SERVICE]
    Daemon        Off
    Flush         5
    Log_Level     info
    HTTP_Server   On
    HTTP_Listen   0.0.0.0
    HTTP_Port     ${HTTP_PORT}
    Health_Check  On
`,
    inputs: `[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    multiline.parser  cri, docker
    DB                ${STATE_DIR}/tail.db
    Mem_Buf_Limit     32MB
    Skip_Long_Lines   On
    Refresh_Interval  10
`,
    filters: `[FILTER]
    Name                 kubernetes
    Match                kube.*
    Kube_URL             https://kubernetes.default.svc:443
    Kube_Tag_Prefix      kube.var.log.containers.
    Merge_Log            On
    Merge_Log_Key        app
    Keep_Log             Off
    Labels               On
    Annotations          Off
    Namespace_Labels     On
    K8S-Logging.Exclude  On

[FILTER]
    Name   grep
    Match  kube.*
    Regex  ${namespaceLabel(LOG_PIPELINE.shipLabel)} ^true$

[FILTER]
    Name   modify
    Match  kube.*
    Add    cluster ${cluster.name}
`,
    outputs: `[OUTPUT]
    Name                 es
    Match                kube.*
    Host                 ${es.host}
    Port                 ${es.port}
    tls                  ${es.tls ? "On" : "Off"}
    tls.verify           On
    Logstash_Format      On
    Logstash_Prefix      ${cluster.name}-unlabelled
    Logstash_Prefix_Key  ${namespaceLabel(LOG_PIPELINE.indexLabel)}
    Suppress_Type_Name   On
    Replace_Dots         On
    Retry_Limit          False
`,
    customParsers: "",
  };
}

/**
 * Chart values: a DaemonSet on every node (control plane included) that reads the node's log files. That takes
 * hostPath volumes and uid 0 (the files are root's), hence its own namespace at the privileged Pod Security level;
 * the container still drops every capability, cannot escalate, and mounts the logs read-only.
 */
export function fluentBitValues(cluster: ClusterSettings, pipeline: LogPipelineSettings): Record<string, unknown> {
  const pin = charts.fluentBit.images.fluentBit;
  return {
    kind: "DaemonSet",
    image: { repository: fullRepository(pin), tag: pin.tag },
    testFramework: { enabled: false },
    serviceAccount: { create: true },
    rbac: { create: true },
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    resources: operatorResources.fluentBit,
    tolerations: [{ operator: "Exists" }],
    metricsPort: HTTP_PORT,
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log", type: "Directory" } },
      // Tail offsets survive restarts, so a restarted shipper neither repeats nor skips lines.
      { name: "state", hostPath: { path: STATE_DIR, type: "DirectoryOrCreate" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "state", mountPath: STATE_DIR },
    ],
    config: fluentBitConfig(cluster, pipeline),
  };
}

/**
 * One Fluent Bit per cluster, shipping the logs of every namespace that asks for it (see `LOG_PIPELINE`), in a
 * namespace that denies all ingress and allows egress only to DNS, the API server and Elasticsearch.
 */
export class LogPipeline extends pulumi.ComponentResource {
  constructor(name: string, args: LogPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:LogPipeline`, name, {}, opts);
    const { cluster, pipeline, namespace } = args;
    const labels = platformLabels("log-pipeline");
    const denyAll = new k8s.networking.v1.NetworkPolicy(
      "log-pipeline-default-deny",
      { metadata: { name: "default-deny-all", namespace, labels }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
      { parent: this },
    );
    const allow = new k8s.networking.v1.NetworkPolicy(
      "allow-fluent-bit",
      {
        metadata: { name: "allow-fluent-bit", namespace, labels },
        spec: {
          podSelector: { matchLabels: fluentBitPodLabels },
          policyTypes: ["Egress"],
          egress: [
            dnsEgressRule(cluster),
            {
              to: cluster.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: cluster.apiServerPorts.map((port) => ({ protocol: "TCP", port })),
            },
            {
              to: pipeline.elasticsearch.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: [{ protocol: "TCP", port: pipeline.elasticsearch.port }],
            },
          ],
        },
      },
      { parent: this },
    );
    chartRelease(
      "fluent-bit",
      { chart: charts.fluentBit, namespace, values: fluentBitValues(cluster, pipeline) },
      { parent: this, dependsOn: [denyAll, allow] },
    );
    this.registerOutputs({});
  }
}
