import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/pack";
import { formatReport, hasMandatoryViolations, loadPolicyConfig, PolicyConfigError, resolvePolicyConfig, runPolicies, StackResource } from "../../policy/runner";
import { compliantStack, cronJob, deployment, modified, object, pod, report, statefulSet } from "./fixtures";

const privilegedWeb = modified(deployment("web"), (props) => (pod(props).containers[0].securityContext.privileged = true));

function budget(app: string) {
  return object("policy/v1", "PodDisruptionBudget", app, { spec: { maxUnavailable: 1, selector: { matchLabels: { app } } } });
}

function level(result: Awaited<ReturnType<typeof runPolicies>>, policyName: string) {
  return result.violations.find((violation) => violation.policyName === policyName)?.enforcementLevel;
}

describe("policy runner", () => {
  it("finds nothing wrong with a compliant stack under the production config", async () => {
    const resources = [
      ...compliantStack(deployment("web", 3), statefulSet("db"), cronJob("backup", { "backup/target": "db" })),
      budget("web"),
      object("v1", "Service", "web", { spec: { selector: { app: "web" }, ports: [{ port: 80 }] } }),
      object("networking.k8s.io/v1", "Ingress", "web", { spec: { tls: [{ hosts: ["api.example.com"], secretName: "tls" }], rules: [{ host: "api.example.com" }] } }),
      object("rbac.authorization.k8s.io/v1", "Role", "web", { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] }),
      object("v1", "ConfigMap", "web", { data: { LOG_LEVEL: "info" } }),
    ];
    const result = await runPolicies(resources, loadPolicyConfig("prod"), { stack: "prod" });
    assert.deepStrictEqual(result.violations, []);
    assert.strictEqual(formatReport(result), `Policy report for stack prod: ${policies.length} policies, ${resources.length} resources\nNo policy violations.`);
  });

  describe("enforcement levels", () => {
    it("are mandatory by default, as the pack declares", async () => {
      assert.strictEqual(level(await report([privilegedWeb]), "pss-privileged-containers"), "mandatory");
    });

    it("follow `all`, then each policy's own entry, and treat remediate as mandatory", async () => {
      const result = await report([privilegedWeb], { all: "advisory", "pss-privilege-escalation": "remediate", "pss-run-as-non-root": { enforcementLevel: "mandatory" } });
      assert.strictEqual(level(result, "pss-privileged-containers"), "advisory");
      const escalation = modified(privilegedWeb, (props) => (pod(props).containers[0].securityContext.allowPrivilegeEscalation = true));
      const second = await report([escalation], { all: "advisory", "pss-privilege-escalation": "remediate" });
      assert.strictEqual(level(second, "pss-privilege-escalation"), "mandatory");
      assert.ok(!hasMandatoryViolations(result));
      assert.ok(hasMandatoryViolations(second));
    });

    it("skip disabled policies", async () => {
      const result = await report([privilegedWeb], { "pss-privileged-containers": "disabled" });
      assert.strictEqual(level(result, "pss-privileged-containers"), undefined);
      assert.strictEqual(result.policiesRun, policies.length - 1);
    });
  });

  describe("config", () => {
    it("passes each policy its properties over the schema defaults, without enforcementLevel", async () => {
      let seen: unknown;
      const probe: ResourceValidationPolicy = {
        name: "probe",
        description: "test",
        configSchema: { properties: { limit: { type: "integer", default: 3 }, names: { type: "array", items: { type: "string" }, default: [] } } },
        validateResource: (args) => {
          seen = args.getConfig();
        },
      };
      await runPolicies([deployment()], { probe: { enforcementLevel: "advisory", names: ["a"] } }, { policies: [probe] });
      assert.deepStrictEqual(seen, { limit: 3, names: ["a"] });
    });

    it("rejects a value outside a policy's schema with the engine's message", () => {
      assert.throws(
        () => resolvePolicyConfig({ "service-type-allowed": { allowedTypes: ["Loadbalancer"] }, "pss-privileged-containers": { exemptNamespaces: "kube-system" } }),
        (error: unknown) => {
          assert.ok(error instanceof PolicyConfigError);
          assert.deepStrictEqual(error.problems, [
            'pss-privileged-containers: exemptNamespaces: Invalid type. Expected: array, given: string',
            'service-type-allowed: allowedTypes.0: allowedTypes.0 must be one of the following: "NodePort", "LoadBalancer"',
          ]);
          assert.match(error.message, /^validating policy config: kubernetes-guardrails 0\.1\.0\n {2}pss-privileged-containers: /);
          return true;
        },
      );
    });

    it("rejects malformed ServiceAccount names and unknown enforcement levels", () => {
      assert.throws(() => resolvePolicyConfig({ "service-account-token-automount": { apiAccessServiceAccounts: ["operator"] } }), {
        message: /service-account-token-automount: apiAccessServiceAccounts\.0: Does not match pattern '\^\[\^\/\]\+\/\[\^\/\]\+\$'/,
      });
      assert.throws(() => resolvePolicyConfig({ all: "strict" } as never), { message: /parsing enforcement level for "all": "strict" is not a valid enforcement level/ });
      assert.throws(() => resolvePolicyConfig({ "ingress-tls": 3 } as never), { message: /parsing "ingress-tls": 3 is not a valid value; must be a string or object/ });
    });

    it("loads a stack's config by name or path, and reports a missing one", () => {
      assert.deepStrictEqual(loadPolicyConfig("test"), loadPolicyConfig("policy/config/test.json"));
      assert.throws(() => loadPolicyConfig("qa"), PolicyConfigError);
    });
  });

  describe("validation arguments", () => {
    const deploymentClass = { __pulumiType: "kubernetes:apps/v1:Deployment" };
    const serviceClass = { isInstance: (o: { __pulumiType: string }) => o.__pulumiType === "kubernetes:core/v1:Service" };

    it("mirror the engine's resource arguments", async () => {
      const seen: Array<Partial<ResourceValidationArgs> & { isDeployment: boolean; isService: boolean; asService: unknown }> = [];
      const probe: ResourceValidationPolicy = {
        name: "probe",
        description: "test",
        validateResource: (args) => {
          seen.push({
            type: args.type,
            name: args.name,
            urn: args.urn,
            opts: args.opts,
            props: JSON.parse(JSON.stringify(args.props)),
            isDeployment: args.isType(deploymentClass as never),
            isService: args.isType(serviceClass as never),
            asService: args.asType(serviceClass as never),
          });
        },
      };
      const secretEnvelope = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cret" };
      const resource: StackResource = { ...object("v1", "Secret", "db", { stringData: { password: secretEnvelope }, type: undefined }), parent: "urn:parent" };
      await runPolicies([resource], {}, { policies: [probe] });
      assert.deepStrictEqual(seen, [
        {
          type: "kubernetes:core/v1:Secret",
          name: "db",
          urn: resource.urn,
          opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], parent: "urn:parent" },
          props: { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "shop" }, stringData: { password: "s3cret" } },
          isDeployment: false,
          isService: false,
          asService: undefined,
        },
      ]);
    });

    it("recognise the @pulumi/kubernetes classes in isType and asType", async () => {
      const seen: unknown[] = [];
      const probe: ResourceValidationPolicy = {
        name: "probe",
        description: "test",
        validateResource: (args) => {
          seen.push(args.isType(k8s.apps.v1.Deployment), args.asType(k8s.apps.v1.Deployment)?.spec?.replicas, args.isType(k8s.core.v1.Service));
        },
      };
      await runPolicies([deployment("web", 2)], {}, { policies: [probe] });
      assert.deepStrictEqual(seen, [true, 2, false]);
    });

    it("records notApplicable, skips a typed validation for other types, and reports unknown values as advisory", async () => {
      const typed = Object.assign(() => undefined, { __pulumiType: "kubernetes:apps/v1:Deployment" });
      const policiesUnderTest: ResourceValidationPolicy[] = [
        { name: "typed", description: "test", validateResource: typed },
        { name: "picky", description: "test", validateResource: (args) => args.notApplicable("not today") },
        { name: "reader", description: "reads", validateResource: (args) => void JSON.stringify(args.props.spec?.replicas) },
      ];
      const unknownReplicas = modified(deployment("web"), (props) => (props.spec.replicas = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"));
      const result = await runPolicies([object("v1", "Service", "web"), unknownReplicas], {}, { policies: policiesUnderTest });
      assert.deepStrictEqual(
        result.notApplicable.map(({ policyName, reason }) => `${policyName}: ${reason}`),
        ["typed: Policy only applies to resources of type 'kubernetes:apps/v1:Deployment'", "picky: not today", "picky: not today"],
      );
      assert.deepStrictEqual(
        result.violations.map(({ policyName, message, enforcementLevel }) => ({ policyName, message, enforcementLevel })),
        [
          {
            policyName: "reader",
            message: "can't run policy 'reader' from policy pack 'kubernetes-guardrails@v0.1.0' during preview: string value at .spec.replicas can't be known during preview",
            enforcementLevel: "advisory",
          },
        ],
      );
    });

    it("links stack resources to their parents and dependencies, and attributes violations by URN", async () => {
      let seen: PolicyResource[] = [];
      const stackProbe: StackValidationPolicy = {
        name: "stack-probe",
        description: "stack",
        severity: "low",
        validateStack: (args, reportViolation) => {
          seen = args.resources;
          reportViolation("look here", args.resources[1].urn);
          reportViolation("the whole stack");
        },
      };
      const parent = object("v1", "Namespace", "shop", {}, undefined);
      const child: StackResource = { ...deployment("web"), parent: parent.urn, dependencies: [parent.urn, "urn:missing"], propertyDependencies: { metadata: [parent.urn] } };
      const result = await runPolicies([parent, child], {}, { policies: [stackProbe] });
      assert.strictEqual(seen[1].parent, seen[0]);
      assert.deepStrictEqual(seen[1].dependencies, [seen[0]]);
      assert.deepStrictEqual(seen[1].propertyDependencies, { metadata: [seen[0]] });
      assert.ok(seen[1].isType(deploymentClass as never));
      assert.deepStrictEqual(
        result.violations.map(({ message, urn, resourceName, severity }) => ({ message, urn, resourceName, severity })),
        [
          { message: "look here", urn: child.urn, resourceName: "web", severity: "low" },
          { message: "the whole stack", urn: undefined, resourceName: undefined, severity: "low" },
        ],
      );
    });

    it("fails like the engine when a policy throws", async () => {
      const broken: ResourceValidationPolicy = {
        name: "broken",
        description: "test",
        validateResource: () => {
          throw new Error("boom");
        },
      };
      await assert.rejects(runPolicies([deployment()], {}, { policies: [broken] }), /Error validating resource with policy 'broken' from policy pack 'kubernetes-guardrails@v0\.1\.0':\nError: boom/);
    });
  });

  it("formats violations per policy, mandatory first", async () => {
    const result = await report([privilegedWeb, modified(cronJob("backup"), (props) => (props.spec.concurrencyPolicy = "Allow"))], {
      "cronjob-limits": "advisory",
      "namespace-default-deny": "disabled",
      "workload-network-policy": "disabled",
      "service-account-token-automount": "disabled",
      "network-policy-directions": "disabled",
      "workload-references-exist": "disabled",
    });
    assert.strictEqual(
      formatReport(result),
      [
        `Policy report for stack test: ${policies.length - 5} policies, 2 resources`,
        "",
        "pss-privileged-containers [mandatory, critical] 1 violation",
        "  Containers must not run privileged (PSA privileged, 1.0): remove securityContext.privileged or set it to false. Equivalent checks: Polaris: runAsPrivileged; kube-linter: privileged-container; kube-score: container-security-context-privileged.",
        '  - Deployment web  container "web" sets securityContext.privileged=true; remove it or set it to false',
        "",
        "cronjob-limits [advisory, low] 1 violation",
        "  CronJobs must bound their runs: set spec.concurrencyPolicy to Forbid or Replace, spec.startingDeadlineSeconds, spec.jobTemplate.spec.activeDeadlineSeconds, spec.successfulJobsHistoryLimit and spec.failedJobsHistoryLimit. Equivalent checks: Polaris: none; kube-linter: none; kube-score: cronjob-has-deadline.",
        "  - CronJob backup  CronJob sets spec.concurrencyPolicy=Allow; set it to Forbid (or Replace) so runs cannot overlap",
        "",
        "1 mandatory, 1 advisory violations.",
      ].join("\n"),
    );
  });
});
