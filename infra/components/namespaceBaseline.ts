import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { instanceLabels } from "../labels";
import type { Platform } from "../platform";
import { stateful, TYPE_PREFIX } from "./context";

export interface NamespaceBaselineArgs {
  settings: Settings;
  platform: Platform;
  instance: string;
}

/**
 * Taking part in the platform's log shipping is two namespace labels (platform/README.md): ship every container
 * log, to an index named after the namespace. A cluster without a log pipeline gets no labels.
 */
export function logShippingLabels(settings: Settings, platform: Platform): Record<string, string> {
  const pipeline = platform.logPipeline;
  return pipeline.enabled ? { [pipeline.shipLabel]: "true", [pipeline.indexLabel]: settings.namespace } : {};
}

/** Pod Security Admission at `restricted` for all three modes, pinned to no version so it tightens with the cluster. */
export function podSecurityLabels(): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
}

/**
 * The namespace and the guard rails every later object lives inside: restricted Pod Security, a quota, container
 * defaults for anything that forgets its resources, and a default-deny NetworkPolicy that the NetworkPolicies
 * component then opens flow by flow.
 */
export class NamespaceBaseline extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: NamespaceBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:NamespaceBaseline`, name, {}, opts);
    const { settings, platform, instance } = args;
    const labels = (component: string) => instanceLabels(instance, component);

    const ns = new k8s.core.v1.Namespace(
      "namespace",
      {
        metadata: {
          name: settings.namespace,
          labels: { ...labels("namespace"), ...podSecurityLabels(), ...logShippingLabels(settings, platform) },
        },
      },
      { parent: this, ...stateful(settings) },
    );
    this.namespace = ns.metadata.name;
    const child = { parent: this };

    new k8s.core.v1.ResourceQuota(
      "quota",
      {
        metadata: { name: "compute-and-storage", namespace: this.namespace, labels: labels("quota") },
        spec: {
          hard: {
            "requests.cpu": settings.quota.requestsCpu,
            "requests.memory": settings.quota.requestsMemory,
            "limits.cpu": settings.quota.limitsCpu,
            "limits.memory": settings.quota.limitsMemory,
            pods: String(settings.quota.pods),
            persistentvolumeclaims: String(settings.quota.persistentVolumeClaims),
            "requests.storage": settings.quota.requestsStorage,
            // Nothing here is exposed except through the ingress controller.
            "services.loadbalancers": "0",
            "services.nodeports": "0",
          },
        },
      },
      child,
    );

    new k8s.core.v1.LimitRange(
      "limits",
      {
        metadata: { name: "container-defaults", namespace: this.namespace, labels: labels("limits") },
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: { cpu: "50m", memory: "64Mi" },
              default: { cpu: "250m", memory: "256Mi" },
              max: { cpu: "4", memory: "8Gi" },
            },
            { type: "PersistentVolumeClaim", max: { storage: "500Gi" } },
          ],
        },
      },
      child,
    );

    new k8s.networking.v1.NetworkPolicy(
      "default-deny",
      {
        metadata: { name: "default-deny-all", namespace: this.namespace, labels: labels("network-policy") },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      child,
    );

    this.registerOutputs({ namespace: this.namespace });
  }
}
