// RBAC: roles grant named verbs on named resources, never cluster-admin, never unnamed Secrets, never a shell
// into pods.
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import { KubernetesObject, quoteList } from "../lib/k8s";

const RBAC = "rbac.authorization.k8s.io";
const ROLE_KINDS = [`${RBAC}:Role`, `${RBAC}:ClusterRole`];
const BINDING_KINDS = [`${RBAC}:RoleBinding`, `${RBAC}:ClusterRoleBinding`];

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

function rulesOf(role: KubernetesObject): Array<{ rule: PolicyRule; field: string }> {
  return ((role.rules as PolicyRule[] | undefined) ?? []).map((rule, index) => ({ rule, field: `rules[${index}]` }));
}

/** True when a rule applies to the core API group, where Secrets and Pods live. */
function coversCoreGroup(rule: PolicyRule): boolean {
  return (rule.apiGroups ?? []).some((group) => group === "" || group === "*");
}

const noWildcards = objectPolicy({
  name: "rbac-no-wildcards",
  description: 'Roles must not use wildcards: list the exact verbs, resources and API groups each rule needs instead of "*".',
  severity: "high",
  kinds: ROLE_KINDS,
  check: (role) =>
    rulesOf(role).flatMap(({ rule, field }) =>
      (["verbs", "resources", "apiGroups"] as const)
        .filter((key) => (rule[key] ?? []).includes("*"))
        .map((key) => `${field}.${key} contains "*"; list only the ${key === "apiGroups" ? "API groups" : key} the role needs`),
    ),
});

const noClusterAdminBinding = objectPolicy({
  name: "rbac-no-cluster-admin-binding",
  description: "Bindings must not grant cluster-admin: bind a Role or ClusterRole that grants only the permissions the subjects need.",
  severity: "critical",
  kinds: BINDING_KINDS,
  check: (binding) => {
    const roleRef = (binding.roleRef ?? {}) as { kind?: string; name?: string };
    const subjects = ((binding.subjects as Array<{ kind?: string; name?: string }> | undefined) ?? []).map((subject) => `${subject.kind} ${subject.name}`);
    return roleRef.kind === "ClusterRole" && roleRef.name === "cluster-admin"
      ? [`binds the cluster-admin ClusterRole to ${subjects.length > 0 ? subjects.join(", ") : "no subjects"}; bind a role that grants only the permissions needed`]
      : [];
  },
});

interface SecretsConfig {
  exemptRoles?: string[];
}

const secretsResourceNames = objectPolicy<SecretsConfig>({
  name: "rbac-secrets-resource-names",
  description: "Roles must name the Secrets they grant access to: set resourceNames on every rule that covers secrets.",
  severity: "high",
  kinds: ROLE_KINDS,
  config: {
    exemptRoles: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "Roles (namespace/name) and ClusterRoles (name) that may read Secrets they cannot name in advance, e.g. a certificate controller's.",
    },
  },
  check: (role, { exemptRoles = [] }, kind) => {
    const name = kind.endsWith(":ClusterRole") ? role.metadata?.name : `${role.metadata?.namespace ?? "default"}/${role.metadata?.name}`;
    if (name !== undefined && exemptRoles.includes(name)) {
      return [];
    }
    return rulesOf(role)
      .filter(({ rule }) => coversCoreGroup(rule) && (rule.resources ?? []).includes("secrets") && (rule.resourceNames ?? []).length === 0)
      .map(({ rule, field }) => `${field} grants ${quoteList(rule.verbs ?? [])} on all secrets; list the Secrets the role needs in ${field}.resourceNames`);
  },
});

const EXEC_RESOURCES = ["pods/exec", "pods/attach", "pods/*"];

const noPodExecAttach = objectPolicy({
  name: "rbac-no-pod-exec-attach",
  description: "Roles must not grant pods/exec or pods/attach: remove them (and pods/*) from the rules' resources.",
  severity: "high",
  kinds: ROLE_KINDS,
  check: (role) =>
    rulesOf(role).flatMap(({ rule, field }) => {
      const granted = (rule.resources ?? []).filter((resource) => EXEC_RESOURCES.includes(resource));
      return coversCoreGroup(rule) && granted.length > 0
        ? [`${field} grants ${quoteList(granted)}, a shell into running pods; remove ${granted.length === 1 ? "it" : "them"} from ${field}.resources`]
        : [];
    }),
});

export const rbacPolicies: Policies = [noWildcards, noClusterAdminBinding, secretsResourceNames, noPodExecAttach];
