// The preview identity of each stack against what a `pulumi preview` of that stack does (read each object, dry-run
// apply it) and against the pull-request job that uses it: enough for every object the stack renders, in the
// namespace it lives in, and nothing beyond them; kept to dry runs by the platform's admission policy.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { PREVIEW_SERVICE_ACCOUNT, PREVIEW_VERBS } from "../../infra/components/previewAccess";
import { STACKS } from "../../infra/offline/stackConfig";
import { DRY_RUN_EXPRESSION, PREVIEW_GUARD_NAME, PREVIEW_IDENTITY_EXPRESSION } from "../../platform/components/previewGuard";
import { PLATFORM_STACKS, renderPlatformStack } from "../../platform/offline";
import { REPO_ROOT } from "../support/processes";
import { objects, rendered, type K8sObject } from "./helpers";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The plural resource of a kind, as the API serves it (Ingress: ingresses, NetworkPolicy: networkpolicies, Gateway: gateways). */
function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith("s") ? `${lower}es` : /[^aeiou]y$/.test(lower) ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
}

/** The RBAC authorizer's match, without wildcards (the policy pack refuses them). */
function allows(rules: Rule[], group: string, resource: string, name: string, verb: string): boolean {
  return rules.some(
    (rule) =>
      rule.apiGroups.includes(group) &&
      rule.resources.includes(resource) &&
      rule.verbs.includes(verb) &&
      (rule.resourceNames === undefined || rule.resourceNames.includes(name)),
  );
}

describe("infrastructure: the preview identity of each stack", function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
      let all: K8sObject[];
      let namespace: string;
      /** The rules bound to the preview ServiceAccount: per namespace, and cluster-wide under "". */
      const granted = new Map<string, Rule[]>();

      before(async () => {
        const render = await rendered(stack);
        all = objects(render).map((m) => m.object as K8sObject);
        namespace = all.find((o) => o.kind === "ServiceAccount" && o.metadata.name === PREVIEW_SERVICE_ACCOUNT)?.metadata.namespace;
        assert.equal(namespace, `football-prediction-${stack}`);
        const isPreview = (binding: K8sObject) =>
          (binding.subjects ?? []).some(
            (s: K8sObject) => s.kind === "ServiceAccount" && s.name === PREVIEW_SERVICE_ACCOUNT && s.namespace === namespace,
          );
        for (const binding of all.filter((o) => ["RoleBinding", "ClusterRoleBinding"].includes(o.kind) && isPreview(o))) {
          const scope = binding.kind === "RoleBinding" ? binding.metadata.namespace : "";
          const role = all.find(
            (o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name && (o.metadata.namespace ?? "") === scope,
          );
          assert.ok(role !== undefined, `${binding.kind} ${binding.metadata.name} binds a role the stack does not define`);
          granted.set(scope, [...(granted.get(scope) ?? []), ...(role.rules as Rule[])]);
        }
      });

      it("may read and dry-run apply every object the stack manages, where it lives", () => {
        for (const object of all) {
          const scope = object.metadata.namespace ?? "";
          const rules = granted.get(scope) ?? [];
          for (const verb of PREVIEW_VERBS) {
            assert.ok(
              allows(rules, groupOf(object.apiVersion), resourceOf(object.kind), object.metadata.name, verb),
              `${object.kind} ${scope || "(cluster)"}/${object.metadata.name}: no ${verb}`,
            );
          }
        }
      });

      it("may do nothing beyond: no verb, resource or name the stack's objects do not need, and no other namespace", () => {
        const present = (scope: string, group: string, resource: string) =>
          all.filter((o) => (o.metadata.namespace ?? "") === scope && groupOf(o.apiVersion) === group && resourceOf(o.kind) === resource);
        const namespaces = new Set(all.map((o) => o.metadata.namespace ?? ""));
        for (const [scope, rules] of granted) {
          assert.ok(namespaces.has(scope), `rules in namespace ${scope}, where the stack has nothing`);
          for (const rule of rules) {
            for (const verb of rule.verbs) {
              const extra = ["escalate", "bind"].includes(verb);
              assert.ok(PREVIEW_VERBS.includes(verb) || extra, `${scope || "(cluster)"}: verb ${verb}`);
              if (extra) assert.ok(rule.resources.every((r) => ["roles", "clusterroles"].includes(r)), `${verb} on ${rule.resources.join(", ")}`);
            }
            for (const group of rule.apiGroups) {
              for (const resource of rule.resources) {
                const objectsThere = present(scope, group, resource);
                assert.ok(objectsThere.length > 0, `${scope || "(cluster)"}: ${group || "core"}/${resource}, which the stack does not manage there`);
                for (const name of rule.resourceNames ?? []) {
                  assert.ok(objectsThere.some((o) => o.metadata.name === name), `${scope || "(cluster)"}: ${resource} ${name}, which the stack does not manage`);
                }
              }
            }
          }
        }
      });

      it("reads Secrets only by name, and has a token no pod mounts", () => {
        for (const [scope, rules] of granted) {
          for (const rule of rules.filter((r) => r.resources.includes("secrets"))) {
            if (rule.verbs.some((verb) => ["get", "list", "watch", "patch"].includes(verb))) {
              assert.ok(rule.resourceNames !== undefined && rule.resourceNames.length > 0, `${scope}: secrets without resourceNames`);
              assert.ok(!rule.verbs.includes("list") && !rule.verbs.includes("watch"));
            }
          }
        }
        const account = all.find((o) => o.kind === "ServiceAccount" && o.metadata.name === PREVIEW_SERVICE_ACCOUNT) as K8sObject;
        assert.equal(account.automountServiceAccountToken, false);
        const token = all.find((o) => o.kind === "Secret" && o.type === "kubernetes.io/service-account-token") as K8sObject;
        assert.equal(token.metadata.annotations["kubernetes.io/service-account.name"], PREVIEW_SERVICE_ACCOUNT);
        assert.equal(token.data, undefined, "the token controller fills the token, never the program");
        for (const o of all.filter((candidate) => ["Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet"].includes(candidate.kind))) {
          assert.doesNotMatch(JSON.stringify(o), /pulumi-preview/, `${o.kind} ${o.metadata.name} uses the preview identity`);
        }
      });
    });
  }

  it("is what the pull-request preview job needs: a preview, no kubectl, nothing that writes", () => {
    const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "pull-request.yml"), "utf8")) as {
      jobs: Record<string, { steps?: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }> }>;
    };
    const steps = workflow.jobs.preview.steps ?? [];
    const commands = steps.filter((step) => step.uses?.startsWith("pulumi/actions@") && step.with?.command !== undefined);
    assert.deepEqual(commands.map((step) => step.with?.command), ["preview"]);
    for (const step of steps) {
      assert.doesNotMatch(step.run ?? "", /\b(kubectl|helm)\b/, "the preview identity cannot port-forward, exec or run helm");
      assert.doesNotMatch(step.run ?? "", /\bpulumi\s+(up|destroy|refresh|import|state)\b/);
    }
  });

  it("is kept to dry runs by every platform stack's admission policy", async () => {
    for (const stack of PLATFORM_STACKS) {
      const render = await renderPlatformStack(stack);
      const manifests = render.resources.map((r) => ({ type: r.type, inputs: r.inputs as K8sObject }));
      const policy = manifests.find((m) => m.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
      const binding = manifests.find((m) => m.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
      assert.ok(policy !== undefined && binding !== undefined, `platform:${stack} has no preview guard`);
      assert.equal(policy.inputs.metadata.name, PREVIEW_GUARD_NAME);
      assert.equal(policy.inputs.spec.failurePolicy, "Fail");
      assert.deepEqual(policy.inputs.spec.matchConditions, [{ name: "preview-identity", expression: PREVIEW_IDENTITY_EXPRESSION }]);
      assert.deepEqual(policy.inputs.spec.validations.map((v: K8sObject) => v.expression), [DRY_RUN_EXPRESSION]);
      const rule = policy.inputs.spec.matchConstraints.resourceRules[0];
      assert.deepEqual(rule.operations, ["CREATE", "UPDATE", "DELETE", "CONNECT"]);
      assert.deepEqual(rule.resources, ["*", "*/*"], "subresources too");
      assert.equal(binding.inputs.spec.policyName, PREVIEW_GUARD_NAME);
      assert.deepEqual(binding.inputs.spec.validationActions, ["Deny"]);
    }
  });

  it("matches exactly the preview ServiceAccounts", () => {
    // The CEL `matches` is RE2; these names need nothing RE2 and JavaScript read differently.
    const pattern = new RegExp(/'(.*)'/.exec(PREVIEW_IDENTITY_EXPRESSION)?.[1] ?? "");
    assert.match(`system:serviceaccount:football-prediction-prod:${PREVIEW_SERVICE_ACCOUNT}`, pattern);
    for (const other of [
      "system:serviceaccount:football-prediction-prod:api",
      `system:serviceaccount:football-prediction-prod:${PREVIEW_SERVICE_ACCOUNT}-2`,
      `system:serviceaccount:a:b:${PREVIEW_SERVICE_ACCOUNT}`,
      "kubernetes-admin",
    ]) {
      assert.doesNotMatch(other, pattern);
    }
  });
});
