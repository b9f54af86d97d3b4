import { itReports, object } from "./fixtures";

const RBAC = "rbac.authorization.k8s.io/v1";

function role(rules: Array<Record<string, unknown>>, kind: "Role" | "ClusterRole" = "Role", name = "app") {
  return object(RBAC, kind, name, { rules }, kind === "Role" ? "shop" : undefined);
}

function binding(kind: "RoleBinding" | "ClusterRoleBinding", roleRef: Record<string, string>) {
  return object(RBAC, kind, "app", { roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef }, subjects: [{ kind: "ServiceAccount", name: "app", namespace: "shop" }] }, kind === "RoleBinding" ? "shop" : undefined);
}

const readConfig = { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] };

describe("RBAC policies", () => {
  describe("rbac-no-wildcards", () => {
    itReports("rbac-no-wildcards", [
      { name: "allows named verbs, resources and groups", resources: [role([readConfig])], expected: [] },
      { name: "flags a wildcard verb", resources: [role([{ ...readConfig, verbs: ["*"] }])], expected: ['rules[0].verbs contains "*"; list only the verbs the role needs'] },
      {
        name: "flags wildcard resources and API groups on a ClusterRole",
        resources: [role([readConfig, { apiGroups: ["*"], resources: ["*"], verbs: ["get"] }], "ClusterRole")],
        expected: ['rules[1].resources contains "*"; list only the resources the role needs', 'rules[1].apiGroups contains "*"; list only the API groups the role needs'],
      },
    ]);
  });

  describe("rbac-no-cluster-admin-binding", () => {
    itReports("rbac-no-cluster-admin-binding", [
      { name: "allows binding a narrow role", resources: [binding("RoleBinding", { kind: "Role", name: "app" })], expected: [] },
      {
        name: "flags a ClusterRoleBinding to cluster-admin",
        resources: [binding("ClusterRoleBinding", { kind: "ClusterRole", name: "cluster-admin" })],
        expected: ["binds the cluster-admin ClusterRole to ServiceAccount app; bind a role that grants only the permissions needed"],
      },
      {
        name: "flags a RoleBinding to cluster-admin",
        resources: [binding("RoleBinding", { kind: "ClusterRole", name: "cluster-admin" })],
        expected: ["binds the cluster-admin ClusterRole to ServiceAccount app; bind a role that grants only the permissions needed"],
      },
    ]);
  });

  describe("rbac-secrets-resource-names", () => {
    const message = (where: string, verbs: string) => `${where} grants ${verbs} on all secrets; list the Secrets the role needs in resourceNames`;
    itReports("rbac-secrets-resource-names", [
      { name: "allows reading named secrets", resources: [role([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["tls"], verbs: ["get"] }])], expected: [] },
      { name: "allows creating and deleting secrets, which reveals none", resources: [role([{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] }])], expected: [] },
      { name: "allows an exempt role", config: { exemptRoles: ["shop/app"] }, resources: [role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }])], expected: [] },
      { name: "allows binding the built-in view role", resources: [binding("RoleBinding", { kind: "ClusterRole", name: "view" })], expected: [] },
      { name: "flags reading every secret in a namespace", resources: [role([readConfig, { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }])], expected: [message("rules[1]", '"get", "list"')] },
      { name: 'flags "*" resources, which include secrets', resources: [role([{ apiGroups: [""], resources: ["*"], verbs: ["list"] }])], expected: [message("rules[0]", '"list"')] },
      { name: 'flags a "*" verb on secrets in "*" groups', resources: [role([{ apiGroups: ["*"], resources: ["secrets"], verbs: ["*"] }])], expected: [message("rules[0]", '"get", "list", "watch"')] },
      {
        name: "flags a ClusterRole when only a namespaced Role of that name is exempt",
        config: { exemptRoles: ["shop/app"] },
        resources: [role([{ apiGroups: [""], resources: ["secrets"], verbs: ["watch"] }], "ClusterRole")],
        expected: [message("rules[0]", '"watch"')],
      },
      { name: "flags a binding to the built-in edit role by that role's rules", resources: [binding("RoleBinding", { kind: "ClusterRole", name: "edit" })], expected: [message('bound ClusterRole "edit"', '"get", "list", "watch"')] },
      { name: "allows a binding to a role the stack defines (the role itself is judged)", resources: [binding("RoleBinding", { kind: "Role", name: "app" })], expected: [] },
    ]);
  });

  describe("rbac-no-pod-exec-attach", () => {
    const message = (where: string, resources: string, them = "it") => `${where} grants create on ${resources}, a shell into running pods; remove ${them}`;
    itReports("rbac-no-pod-exec-attach", [
      { name: "allows reading pods and their logs", resources: [role([{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list"] }])], expected: [] },
      { name: "allows get and list on pods/exec, which open no shell", resources: [role([{ apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["get", "list"] }])], expected: [] },
      { name: 'allows "pods/*", which RBAC does not treat as a wildcard', resources: [role([{ apiGroups: [""], resources: ["pods/*"], verbs: ["create"] }], "ClusterRole")], expected: [] },
      { name: "allows binding the built-in view role", resources: [binding("ClusterRoleBinding", { kind: "ClusterRole", name: "view" })], expected: [] },
      { name: "flags create on pods/exec", resources: [role([{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }])], expected: [message("rules[0]", '"pods/exec"')] },
      {
        name: 'flags "*" resources and "*/attach" on a ClusterRole',
        resources: [role([{ apiGroups: [""], resources: ["*"], verbs: ["create"] }, { apiGroups: [""], resources: ["*/attach"], verbs: ["*"] }], "ClusterRole")],
        expected: [message("rules[0]", '"pods/exec", "pods/attach"', "them"), message("rules[1]", '"pods/attach"')],
      },
      { name: "flags a binding to the built-in admin role", resources: [binding("RoleBinding", { kind: "ClusterRole", name: "admin" })], expected: [message('bound ClusterRole "admin"', '"pods/exec", "pods/attach"', "them")] },
      { name: "flags a binding to cluster-admin", resources: [binding("ClusterRoleBinding", { kind: "ClusterRole", name: "cluster-admin" })], expected: [message('bound ClusterRole "cluster-admin"', '"pods/exec", "pods/attach"', "them")] },
      { name: "ignores other API groups", resources: [role([{ apiGroups: ["apps"], resources: ["*"], verbs: ["create"] }])], expected: [] },
    ]);
  });
});
