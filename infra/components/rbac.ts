import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { instanceLabels } from "../labels";
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
  /** Fluent Bit, when log shipping is on: reads the metadata of this namespace's pods to label their logs. */
  fluentBit?: ApiClient;
}

const readOnly = ["get", "list", "watch"];

/** kubernetes_sd `role: pod` and `role: endpoints` (with endpointslices), limited to this namespace. */
export const prometheusDiscoveryRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "services", "endpoints"], verbs: readOnly },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: readOnly },
];

/** The ingress controller's metrics endpoint is found by kubernetes_sd `role: pod` in the controller's namespace. */
export const prometheusIngressControllerRules: PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: readOnly }];

/** Fluent Bit's kubernetes filter fetches each pod it has a log line from, by name. */
export const fluentBitMetadataRules: PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }];

/**
 * Every API permission of the stack: namespaced Roles with explicit resources and verbs, bound to the one
 * ServiceAccount that needs each. No ClusterRole: the only cluster-scoped object is the cert-manager issuer.
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
      // A Role in the controller's namespace, named after this stack's so stacks sharing a cluster do not collide.
      grant("prometheus-ingress-controller-discovery", prometheusIngressControllerRules, args.prometheus, {
        namespace: settings.cluster.ingressControllerNamespace,
        roleName: `${settings.namespace}-prometheus-discovery`,
      });
    }
    if (args.fluentBit !== undefined) {
      grant("fluent-bit-pod-metadata", fluentBitMetadataRules, args.fluentBit);
    }

    this.registerOutputs({});
  }
}
