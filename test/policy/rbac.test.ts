import * as assert from "assert";
import { messages, object } from "./fixtures";

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
    it("allows named verbs, resources and groups", async () => {
      assert.deepStrictEqual(await messages([role([readConfig])], "rbac-no-wildcards"), []);
    });

    it("flags a wildcard verb", async () => {
      assert.deepStrictEqual(await messages([role([{ ...readConfig, verbs: ["*"] }])], "rbac-no-wildcards"), ['rules[0].verbs contains "*"; list only the verbs the role needs']);
    });

    it("flags wildcard resources and API groups on a ClusterRole", async () => {
      const clusterRole = role([readConfig, { apiGroups: ["*"], resources: ["*"], verbs: ["get"] }], "ClusterRole");
      assert.deepStrictEqual(await messages([clusterRole], "rbac-no-wildcards"), [
        'rules[1].resources contains "*"; list only the resources the role needs',
        'rules[1].apiGroups contains "*"; list only the API groups the role needs',
      ]);
    });
  });

  describe("rbac-no-cluster-admin-binding", () => {
    it("allows binding a narrow role", async () => {
      assert.deepStrictEqual(await messages([binding("RoleBinding", { kind: "Role", name: "app" })], "rbac-no-cluster-admin-binding"), []);
    });

    it("flags a ClusterRoleBinding to cluster-admin", async () => {
      assert.deepStrictEqual(await messages([binding("ClusterRoleBinding", { kind: "ClusterRole", name: "cluster-admin" })], "rbac-no-cluster-admin-binding"), [
        "binds the cluster-admin ClusterRole to ServiceAccount app; bind a role that grants only the permissions needed",
      ]);
    });

    it("flags a RoleBinding to cluster-admin", async () => {
      assert.deepStrictEqual(await messages([binding("RoleBinding", { kind: "ClusterRole", name: "cluster-admin" })], "rbac-no-cluster-admin-binding"), [
        "binds the cluster-admin ClusterRole to ServiceAccount app; bind a role that grants only the permissions needed",
      ]);
    });
  });

  describe("rbac-secrets-resource-names", () => {
    it("allows named secrets, and exempt roles", async () => {
      const named = role([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["app-db"], verbs: ["get"] }]);
      const controller = role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }], "ClusterRole", "cert-controller");
      assert.deepStrictEqual(await messages([named, controller], "rbac-secrets-resource-names", { "rbac-secrets-resource-names": { exemptRoles: ["cert-controller"] } }), []);
    });

    it("flags reading every secret in a namespace", async () => {
      assert.deepStrictEqual(await messages([role([readConfig, { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }])], "rbac-secrets-resource-names"), [
        'rules[1] grants "get", "list" on all secrets; list the Secrets the role needs in rules[1].resourceNames',
      ]);
    });

    it("flags a ClusterRole when only a namespaced Role of that name is exempt", async () => {
      const clusterRole = role([{ apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["watch"] }], "ClusterRole");
      assert.deepStrictEqual(await messages([clusterRole], "rbac-secrets-resource-names", { "rbac-secrets-resource-names": { exemptRoles: ["shop/app"] } }), [
        'rules[0] grants "watch" on all secrets; list the Secrets the role needs in rules[0].resourceNames',
      ]);
    });
  });

  describe("rbac-no-pod-exec-attach", () => {
    it("allows reading pods and their logs", async () => {
      assert.deepStrictEqual(await messages([role([{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get"] }])], "rbac-no-pod-exec-attach"), []);
    });

    it("flags pods/exec", async () => {
      assert.deepStrictEqual(await messages([role([{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }])], "rbac-no-pod-exec-attach"), [
        'rules[0] grants "pods/exec", a shell into running pods; remove it from rules[0].resources',
      ]);
    });

    it("flags pods/attach and pods/* on a ClusterRole", async () => {
      const clusterRole = role([{ apiGroups: [""], resources: ["pods/attach", "pods/*"], verbs: ["create", "get"] }], "ClusterRole");
      assert.deepStrictEqual(await messages([clusterRole], "rbac-no-pod-exec-attach"), [
        'rules[0] grants "pods/attach", "pods/*", a shell into running pods; remove them from rules[0].resources',
      ]);
    });
  });
});
