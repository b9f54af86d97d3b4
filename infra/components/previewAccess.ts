import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { instanceLabels } from "../labels";
import { TYPE_PREFIX, type StackContext } from "./context";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * The ServiceAccount pull-request previews run as, in every stack's namespace. The platform's admission policy
 * (platform/components/previewGuard.ts) recognises it by this name and refuses it every request that is not a dry
 * run, so a leaked preview token can read what a preview reads and change nothing.
 */
export const PREVIEW_SERVICE_ACCOUNT = "pulumi-preview";

/**
 * What `pulumi preview` does with server-side apply (pulumi-kubernetes provider/pkg/provider and clients/ssa):
 * it reads each live object (`get`) and sends the stack's version as an apply patch with `dryRun=All` (`patch`,
 * and `create` when the object does not exist yet). Kubernetes authorises a dry run like the real request, so
 * these verbs are needed; the admission policy is what keeps them dry. Nothing lists, watches or deletes.
 */
export const PREVIEW_VERBS = ["get", "create", "patch"];

/** Every namespaced kind the program creates in the stack's namespace, by API group. */
export const STACK_NAMESPACE_RESOURCES: Record<string, string[]> = {
  "": ["configmaps", "limitranges", "persistentvolumeclaims", "resourcequotas", "serviceaccounts", "services"],
  apps: ["deployments", "statefulsets"],
  autoscaling: ["horizontalpodautoscalers"],
  batch: ["cronjobs", "jobs"],
  "networking.k8s.io": ["networkpolicies"],
  // The edge (components/edge.ts): its Gateway and routes, and Envoy Gateway's policies on them.
  "gateway.networking.k8s.io": ["gateways", "httproutes"],
  "gateway.envoyproxy.io": ["backendtrafficpolicies"],
  policy: ["poddisruptionbudgets"],
  "rbac.authorization.k8s.io": ["rolebindings", "roles"],
};

/**
 * The database's kinds (infra/components/database): the objects the CloudNativePG operator and its Barman Cloud
 * plugin act on, the archive's only where `backups.s3` makes one. What the operator creates from them (pods, PVCs,
 * its PDBs) is the operator's, not the stack's.
 */
export function databaseResources(archive: boolean): Record<string, string[]> {
  return archive
    ? { "postgresql.cnpg.io": ["clusters", "poolers", "scheduledbackups"], "barmancloud.cnpg.io": ["objectstores"] }
    : { "postgresql.cnpg.io": ["clusters", "poolers"] };
}

/**
 * The stack's part of the cluster's monitoring, where monitoring is on (components/monitoring.ts): the Prometheus
 * Operator's objects the platform's Prometheus and Alertmanager select. Its dashboards are ConfigMaps.
 */
export const MONITORING_RESOURCES: Record<string, string[]> = {
  "monitoring.coreos.com": ["alertmanagerconfigs", "podmonitors", "prometheusrules"],
};

const RBAC_GROUP = "rbac.authorization.k8s.io";

function rulesFor(resources: Record<string, string[]>): PolicyRule[] {
  return Object.entries(resources).map(([group, names]) => ({ apiGroups: [group], resources: names, verbs: PREVIEW_VERBS }));
}

/**
 * A dry-run Role or RoleBinding is checked for privilege escalation like a real one: without `escalate` and `bind`
 * the preview of a Role granting what the preview identity lacks (its own, which grants `escalate` and `bind`
 * themselves) fails.
 */
const dryRunRbacRule: PolicyRule = { apiGroups: [RBAC_GROUP], resources: ["roles"], verbs: ["escalate", "bind"] };

/**
 * The stack's namespace. Secrets only by name: the dry-run response of a Secret carries its data, so the preview
 * identity reads exactly the Secrets the stack manages (which is why its token is a per-stack, environment-scoped
 * secret); `create` cannot be limited by name, and stays a dry run.
 */
export function stackNamespaceRules(secretNames: string[], archive: boolean, monitoring: boolean): PolicyRule[] {
  return [
    ...rulesFor(STACK_NAMESPACE_RESOURCES),
    ...rulesFor(databaseResources(archive)),
    ...(monitoring ? rulesFor(MONITORING_RESOURCES) : []),
    dryRunRbacRule,
    { apiGroups: [""], resources: ["secrets"], resourceNames: [...secretNames].sort(), verbs: ["get", "patch"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
  ];
}

/**
 * The cluster-scoped objects of the stack: its namespace and this ClusterRole and its binding, by name. The
 * ClusterIssuers are the platform stack's (platform/README.md), so a preview of this stack never touches one.
 */
export function clusterRules(namespaces: string[], roleName: string): PolicyRule[] {
  return [
    { apiGroups: [RBAC_GROUP], resources: ["clusterroles", "clusterrolebindings"], resourceNames: [roleName], verbs: ["get", "patch"] },
    { apiGroups: [RBAC_GROUP], resources: ["clusterroles", "clusterrolebindings"], verbs: ["create"] },
    { apiGroups: [RBAC_GROUP], resources: ["clusterroles"], resourceNames: [roleName], verbs: ["escalate", "bind"] },
    { apiGroups: [""], resources: ["namespaces"], resourceNames: [...namespaces].sort(), verbs: ["get", "patch"] },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
  ];
}

export interface PreviewAccessArgs extends StackContext {
  /** Every Secret the stack manages in its namespace. */
  secretNames: pulumi.Input<string>[];
}

/**
 * The identity of this stack's pull-request previews (docs/operations.md, "Pipeline credentials"): a ServiceAccount
 * with a long-lived token (the preview-<stack> GitHub environment's KUBECONFIG is built from it), allowed to read
 * and dry-run exactly what the program manages, in the namespaces it manages them in, and nothing else. It lives in
 * the environment program because its rules follow the program's objects and its namespaces exist only once the
 * program ran; the cluster-wide guard that keeps it to dry runs is the platform's.
 */
export class PreviewAccess extends pulumi.ComponentResource {
  public readonly serviceAccountName: pulumi.Output<string>;
  public readonly tokenSecretName: pulumi.Output<string>;

  constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:PreviewAccess`, name, {}, opts);
    const { settings, namespace, instance } = args;
    const labels = instanceLabels(instance, "preview-access");
    const child = { parent: this };

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      "pulumi-preview",
      // No pod runs as it: the token below is the only one it gets.
      { metadata: { name: PREVIEW_SERVICE_ACCOUNT, namespace, labels }, automountServiceAccountToken: false },
      child,
    );
    const subjects = [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }];
    // The token controller fills the Secret in the cluster; its value never passes through Pulumi.
    const token = new k8s.core.v1.Secret(
      "pulumi-preview-token",
      {
        metadata: {
          name: `${PREVIEW_SERVICE_ACCOUNT}-token`,
          namespace,
          labels,
          annotations: { "kubernetes.io/service-account.name": serviceAccount.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      child,
    );

    // Named after the stack where the namespace or the cluster is shared with other stacks.
    const roleName = `${settings.namespace}-${PREVIEW_SERVICE_ACCOUNT}`;
    const grant = (id: string, where: pulumi.Input<string>, rules: pulumi.Input<PolicyRule[]>) => {
      const metadata = { name: roleName, namespace: where, labels };
      const role = new k8s.rbac.v1.Role(id, { metadata, rules }, child);
      new k8s.rbac.v1.RoleBinding(
        id,
        { metadata, roleRef: { apiGroup: RBAC_GROUP, kind: "Role", name: role.metadata.name }, subjects },
        child,
      );
    };

    // Its own token Secret too: it is one of the stack's objects, and reading it tells the identity nothing new.
    grant(
      "pulumi-preview",
      namespace,
      pulumi
        .all([...args.secretNames, token.metadata.name])
        .apply((names) => stackNamespaceRules(names, settings.backups.s3 !== undefined, settings.monitoring.enabled)),
    );

    const clusterRole = new k8s.rbac.v1.ClusterRole(
      "pulumi-preview",
      {
        metadata: { name: roleName, labels },
        rules: pulumi.output(namespace).apply((name) => clusterRules([name], roleName)),
      },
      child,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      "pulumi-preview",
      {
        metadata: { name: roleName, labels },
        roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: clusterRole.metadata.name },
        subjects,
      },
      child,
    );

    this.serviceAccountName = serviceAccount.metadata.name;
    this.tokenSecretName = token.metadata.name;
    this.registerOutputs({ serviceAccountName: this.serviceAccountName, tokenSecretName: this.tokenSecretName });
  }
}
