import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { LogShippingSettings, Settings } from "../config";
import { images, thirdPartyImage } from "../images";
import { contentConfigMap, httpProbe, meta, servingPriority } from "../k8s";
import { instanceLabels, objectLabels, selectorLabels, workloads } from "../labels";
import { TYPE_PREFIX } from "./context";
import { podSecurityLabels } from "./namespaceBaseline";
import { dnsEgressRule } from "./networkPolicies";

export interface LogShippingArgs {
  settings: Settings;
  shipping: LogShippingSettings;
  instance: string;
  /** The namespace whose pods' logs are shipped. */
  sourceNamespace: pulumi.Output<string>;
}

const HTTP_PORT = 2020;
const CONFIG_DIR = "/fluent-bit/config";
/** Fluent Bit's ServiceAccount, which the Rbac component binds before the DaemonSet starts. */
export const FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit";
const STATE_DIR = "/var/lib/fluent-bit";

/**
 * Fluent Bit reads only this stack's container logs (the file name carries the namespace), adds the pod's labels,
 * lifts the service's JSON (pino) lines into fields, and ships them to Elasticsearch with one index per day.
 */
export function fluentBitConfig(shipping: LogShippingSettings, sourceNamespace: string): string {
  const es = shipping.elasticsearch;
  return `[SERVICE]
    Flush         5
    Log_Level     info
    HTTP_Server   On
    HTTP_Listen   0.0.0.0
    HTTP_Port     ${HTTP_PORT}
    Health_Check  On

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*_${sourceNamespace}_*.log
    multiline.parser  cri
    DB                ${STATE_DIR}/${sourceNamespace}.db
    Mem_Buf_Limit     16MB
    Skip_Long_Lines   On
    Refresh_Interval  10

[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_URL            https://kubernetes.default.svc:443
    Kube_Tag_Prefix     kube.var.log.containers.
    Merge_Log           On
    Merge_Log_Key       app
    Keep_Log            Off
    Labels              On
    Annotations         Off

[OUTPUT]
    Name                es
    Match               kube.*
    Host                ${es.host}
    Port                ${es.port}
    tls                 ${es.tls ? "On" : "Off"}
    tls.verify          On
    Logstash_Format     On
    Logstash_Prefix     ${es.indexPrefix}
    Suppress_Type_Name  On
    Replace_Dots        On
    Retry_Limit         False
`;
}

/**
 * Log shipping for stacks that enable it: a Fluent Bit DaemonSet in a namespace of its own. Reading node log
 * files takes hostPath volumes and root (the files are root-owned), which the restricted Pod Security level of
 * the application namespace forbids; so this namespace enforces `privileged` (still auditing and warning at
 * `restricted`), holds nothing else, denies all ingress and allows egress only to DNS, the API server and
 * Elasticsearch. The container itself still drops every capability, cannot escalate, and mounts logs read-only.
 */
export class LogShipping extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: LogShippingArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:LogShipping`, name, {}, opts);
    const { settings, shipping, instance, sourceNamespace } = args;
    const child = { parent: this };
    const labels = objectLabels(instance, workloads.fluentBit, images.fluentBit.tag);
    const selector = selectorLabels(instance, workloads.fluentBit);

    const ns = new k8s.core.v1.Namespace(
      "log-shipping-namespace",
      {
        metadata: {
          name: shipping.namespace,
          labels: { ...instanceLabels(instance, "log-shipping"), ...podSecurityLabels("privileged") },
        },
      },
      child,
    );
    this.namespace = ns.metadata.name;
    this.networkPolicies(settings, shipping, instance);

    const sa = new k8s.core.v1.ServiceAccount(
      FLUENT_BIT_SERVICE_ACCOUNT,
      // The kubernetes filter calls the API, so this is the one ServiceAccount whose token is mounted.
      { metadata: meta(FLUENT_BIT_SERVICE_ACCOUNT, this.namespace, labels), automountServiceAccountToken: true },
      child,
    );

    const configText = sourceNamespace.apply((source) => fluentBitConfig(shipping, source));
    const config = contentConfigMap("fluent-bit-config", this.namespace, labels, { "fluent-bit.conf": configText }, child, "fluent-bit");

    new k8s.apps.v1.DaemonSet(
      "fluent-bit",
      {
        metadata: meta("fluent-bit", this.namespace, labels),
        spec: {
          selector: { matchLabels: selector },
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: {
              labels,
              annotations: {
                "checksum/config": configText.apply((text) => createHash("sha256").update(text).digest("hex")),
              },
            },
            spec: {
              serviceAccountName: sa.metadata.name,
              automountServiceAccountToken: true,
              ...servingPriority(settings),
              enableServiceLinks: false,
              // Root without any capability: enough to read the root-owned log files, nothing more.
              securityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "fluent-bit",
                  ...thirdPartyImage(images.fluentBit),
                  args: ["--config", `${CONFIG_DIR}/fluent-bit.conf`],
                  ports: [{ name: "http", containerPort: HTTP_PORT, protocol: "TCP" }],
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                  securityContext: {
                    runAsNonRoot: false,
                    runAsUser: 0,
                    privileged: false,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  readinessProbe: httpProbe("/api/v1/health", "http"),
                  livenessProbe: httpProbe("/", "http", 20),
                  volumeMounts: [
                    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                    { name: "varlog", mountPath: "/var/log", readOnly: true },
                    { name: "state", mountPath: STATE_DIR },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: config.metadata.name } },
                { name: "varlog", hostPath: { path: "/var/log", type: "Directory" } },
                // Tail offsets survive restarts, so a restarted shipper neither repeats nor skips lines.
                { name: "state", hostPath: { path: `${STATE_DIR}/${shipping.namespace}`, type: "DirectoryOrCreate" } },
              ],
            },
          },
        },
      },
      child,
    );

    this.registerOutputs({ namespace: this.namespace });
  }

  private networkPolicies(settings: Settings, shipping: LogShippingSettings, instance: string): void {
    const child = { parent: this };
    const labels = instanceLabels(instance, "network-policy");
    const es = shipping.elasticsearch;
    new k8s.networking.v1.NetworkPolicy(
      "log-shipping-default-deny",
      {
        metadata: { name: "default-deny-all", namespace: this.namespace, labels },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      child,
    );
    new k8s.networking.v1.NetworkPolicy(
      "allow-fluent-bit",
      {
        metadata: { name: "allow-fluent-bit", namespace: this.namespace, labels },
        spec: {
          podSelector: { matchLabels: selectorLabels(instance, workloads.fluentBit) },
          policyTypes: ["Egress"],
          egress: [
            dnsEgressRule(settings.cluster),
            {
              to: settings.cluster.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: settings.cluster.apiServerPorts.map((port) => ({ protocol: "TCP", port })),
            },
            { to: es.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: es.port }] },
          ],
        },
      },
      child,
    );
  }
}
