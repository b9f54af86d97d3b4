import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { instanceLabels } from "../labels";
import { kubeStateMetricsResources } from "../observability";
import type { Settings } from "../config";
import { TYPE_PREFIX, type StackContext } from "./context";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** A ServiceAccount that needs the API, wherever it lives. */
export interface ApiClient {
  serviceAccount: pulumi.Input<string>;
  namespace: pulumi.Input<string>;
}

export interface RbacArgs extends StackContext {
  /** Prometheus, when monitoring is on: discovers its scrape targets in this namespace. */
  prometheus?: ApiClient;
  /** kube-state-metrics, when monitoring is on: watches the objects of this namespace it reports on. */
  kubeStateMetrics?: ApiClient;
}

/** What an informer does: list once, then watch. */
const listWatch = ["list", "watch"];

/**
 * Every scrape job of infra/observability/prometheus.ts finds its targets with kubernetes_sd `role: pod`, in this
 * namespace or (the ingress controller's metrics endpoint) in the controller's.
 */
export const prometheusDiscoveryRules: PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: listWatch }];

/** Exactly the objects kube-state-metrics is told to export (its `--resources`). */
export const kubeStateMetricsRules: PolicyRule[] = Object.entries(kubeStateMetricsResources).map(([group, resources]) => ({
  apiGroups: [group],
  resources: [...resources],
  verbs: listWatch,
}));

/** The Role a stack with monitoring keeps in the ingress controller's namespace, named after the stack so stacks sharing a cluster do not collide. */
export function ingressControllerDiscoveryRole(settings: Settings): string {
  return `${settings.namespace}-prometheus-discovery`;
}

/**
 * Every API permission of the stack: namespaced Roles with explicit resources and verbs, bound to the one
 * ServiceAccount that needs each. No ClusterRole for a workload: the only one is the preview identity's
 * (components/previewAccess.ts), for the stack's namespace; the ClusterIssuers are the platform stack's.
 * Every other ServiceAccount has no binding and no mounted token. Roles outside the stack's namespace (the
 * ingress controller's) only let Prometheus find the pods it scrapes there.
 */
export class Rbac extends pulumi.ComponentResource {
  constructor(name: string, args: RbacArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Rbac`, name, {}, opts);
    const { settings, namespace, instance } = args;
    const labels = instanceLabels(instance, "rbac");
    const child = { parent: this };

    const grant = (
      id: string,
      rules: PolicyRule[],
      client: ApiClient,
      where: { namespace: pulumi.Input<string>; roleName: string } = { namespace, roleName: id },
    ) => {
      const metadata = { name: where.roleName, namespace: where.namespace, labels };
      const role = new k8s.rbac.v1.Role(id, { metadata, rules }, child);
      new k8s.rbac.v1.RoleBinding(
        id,
        {
          metadata,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects: [{ kind: "ServiceAccount", name: client.serviceAccount, namespace: client.namespace }],
        },
        child,
      );
    };

    if (args.prometheus !== undefined) {
      grant("prometheus-discovery", prometheusDiscoveryRules, args.prometheus);
      grant("prometheus-ingress-controller-discovery", prometheusDiscoveryRules, args.prometheus, {
        namespace: settings.cluster.ingressControllerNamespace,
        roleName: ingressControllerDiscoveryRole(settings),
      });
    }
    if (args.kubeStateMetrics !== undefined) {
      grant("kube-state-metrics", kubeStateMetricsRules, args.kubeStateMetrics);
    }

    this.registerOutputs({});
  }
}
