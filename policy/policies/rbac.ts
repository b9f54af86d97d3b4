// RBAC: roles grant named verbs on named resources, never cluster-admin, never unnamed Secrets, never a shell
// into pods. Rules are matched the way the RBAC authorizer matches them, verbs included, and a binding is judged
// by the rules of the built-in role it references (cluster-admin, admin, edit, view), which no program defines.
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import { KubernetesObject, objectsIn, quoteList } from "../lib/k8s";

const RBAC = "rbac.authorization.k8s.io";
const ROLE_KINDS = [`${RBAC}:Role`, `${RBAC}:ClusterRole`];
const BINDING_KINDS = [`${RBAC}:RoleBinding`, `${RBAC}:ClusterRoleBinding`];

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];

/**
 * The rules of the built-in ClusterRoles that matter to these policies, from the API server's bootstrap policy
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy: `admin` aggregates `edit`, which reads and writes secrets and
 * execs into pods; `view` reads neither). Their other rules grant nothing the policies judge.
 */
const EDIT_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], verbs: READ },
  { apiGroups: [""], resources: ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], verbs: WRITE },
  { apiGroups: [""], resources: ["configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims"], verbs: WRITE },
];
const BUILT_IN_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  "cluster-admin": [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
  admin: EDIT_RULES,
  edit: EDIT_RULES,
  view: [],
};

interface Grant {
  rule: PolicyRule;
  /** Where the rule is, for messages: `rules[0]`, or `ClusterRole "edit"` for a binding. */
  field: string;
}

interface RoleRef {
  kind?: string;
  name?: string;
}

/** The rules an object grants: a role's own, or those of the built-in ClusterRole a binding references. */
function grantsOf(object: KubernetesObject, kind: string): Grant[] {
  if (ROLE_KINDS.includes(kind)) {
    return objectsIn(object.rules as PolicyRule[] | undefined).map((rule, index) => ({ rule, field: `rules[${index}]` }));
  }
  const roleRef = (object.roleRef ?? {}) as RoleRef;
  const builtIn = roleRef.kind === "ClusterRole" ? BUILT_IN_CLUSTER_ROLES[roleRef.name ?? ""] : undefined;
  return (builtIn ?? []).map((rule) => ({ rule, field: `bound ClusterRole "${roleRef.name}"` }));
}

function matchesAny(values: string[] | undefined, wanted: string): boolean {
  return (values ?? []).some((value) => value === "*" || value === wanted);
}

// RBAC's ResourceMatches: "*", the exact resource, or "*" then "/<subresource>"; "pods/*" is not a wildcard.
function resourceMatches(rule: PolicyRule, resource: string): boolean {
  const subresource = resource.includes("/") ? resource.split("/")[1] : undefined;
  return (rule.resources ?? []).some((candidate) => candidate === "*" || candidate === resource || (subresource !== undefined && candidate === `*/${subresource}`));
}

/** The verbs of `verbs` a rule grants on a core-group resource. */
function grantedVerbs(rule: PolicyRule, resource: string, verbs: string[]): string[] {
  return matchesAny(rule.apiGroups, "") && resourceMatches(rule, resource) ? verbs.filter((verb) => matchesAny(rule.verbs, verb)) : [];
}

function subjectsOf(binding: KubernetesObject): string[] {
  return objectsIn(binding.subjects as Array<{ kind?: string; name?: string }> | undefined).map((subject) => `${subject.kind} ${subject.name}`);
}

const noWildcards = objectPolicy({
  name: "rbac-no-wildcards",
  description: 'Roles must not use wildcards: list the exact verbs, resources and API groups each rule needs instead of "*".',
  severity: "high",
  counterparts: { kubeLinter: ["wildcard-in-rules"] },
  kinds: ROLE_KINDS,
  check: (role, _config, kind) =>
    grantsOf(role, kind).flatMap(({ rule, field }) =>
      (["verbs", "resources", "apiGroups"] as const)
        .filter((key) => (rule[key] ?? []).includes("*"))
        .map((key) => `${field}.${key} contains "*"; list only the ${key === "apiGroups" ? "API groups" : key} the role needs`),
    ),
});

const noClusterAdminBinding = objectPolicy({
  name: "rbac-no-cluster-admin-binding",
  description: "Bindings must not grant cluster-admin: bind a Role or ClusterRole that grants only the permissions the subjects need.",
  severity: "critical",
  counterparts: {
    polaris: ["clusterrolebindingClusterAdmin", "rolebindingClusterAdminClusterRole", "rolebindingClusterAdminRole"],
    kubeLinter: ["cluster-admin-role-binding"],
  },
  kinds: BINDING_KINDS,
  check: (binding) => {
    const roleRef = (binding.roleRef ?? {}) as RoleRef;
    const subjects = subjectsOf(binding);
    return roleRef.kind === "ClusterRole" && roleRef.name === "cluster-admin"
      ? [`binds the cluster-admin ClusterRole to ${subjects.length > 0 ? subjects.join(", ") : "no subjects"}; bind a role that grants only the permissions needed`]
      : [];
  },
});

interface SecretsConfig {
  exemptRoles?: string[];
}

/** `namespace/name` of a Role, `name` of a ClusterRole; for a binding, the ClusterRole it references. */
function roleName(object: KubernetesObject, kind: string): string | undefined {
  if (kind.endsWith(":ClusterRole")) {
    return object.metadata?.name;
  }
  if (kind.endsWith(":Role")) {
    return `${object.metadata?.namespace ?? "default"}/${object.metadata?.name}`;
  }
  return (object.roleRef as RoleRef | undefined)?.name;
}

const secretsResourceNames = objectPolicy<SecretsConfig>({
  name: "rbac-secrets-resource-names",
  description: 'Roles, and bindings to built-in roles, must not let anyone read every Secret: give each rule that grants get, list or watch on secrets (directly or through "*") the resourceNames it needs, or bind a role without it.',
  severity: "high",
  counterparts: { kubeLinter: ["access-to-secrets"] },
  kinds: [...ROLE_KINDS, ...BINDING_KINDS],
  config: {
    exemptRoles: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "Roles (namespace/name) and ClusterRoles (name) that may read Secrets they cannot name in advance, e.g. a certificate controller's.",
    },
  },
  check: (object, { exemptRoles = [] }, kind) => {
    const name = roleName(object, kind);
    if (name !== undefined && exemptRoles.includes(name)) {
      return [];
    }
    return grantsOf(object, kind)
      .filter(({ rule }) => (rule.resourceNames ?? []).length === 0)
      .flatMap(({ rule, field }) => {
        const verbs = grantedVerbs(rule, "secrets", READ);
        return verbs.length === 0 ? [] : [`${field} grants ${quoteList(verbs)} on all secrets; list the Secrets the role needs in resourceNames`];
      });
  },
});

const EXEC_RESOURCES = ["pods/exec", "pods/attach"];

const noPodExecAttach = objectPolicy({
  name: "rbac-no-pod-exec-attach",
  description: 'Roles, and bindings to built-in roles, must not grant a shell into pods: remove the create verb on pods/exec and pods/attach (granted directly, or through "*" resources or verbs); get and list on them open no shell.',
  severity: "high",
  counterparts: {
    polaris: ["clusterrolePodExecAttach", "rolePodExecAttach", "clusterrolebindingPodExecAttach", "rolebindingClusterRolePodExecAttach", "rolebindingRolePodExecAttach"],
  },
  kinds: [...ROLE_KINDS, ...BINDING_KINDS],
  check: (object, _config, kind) =>
    grantsOf(object, kind).flatMap(({ rule, field }) => {
      const granted = EXEC_RESOURCES.filter((resource) => grantedVerbs(rule, resource, ["create"]).length > 0);
      return granted.length > 0 ? [`${field} grants create on ${quoteList(granted)}, a shell into running pods; remove ${granted.length === 1 ? "it" : "them"}`] : [];
    }),
});

export const rbacPolicies: Policies = [noWildcards, noClusterAdminBinding, secretsResourceNames, noPodExecAttach];
