import * as assert from "assert";
import type { PolicyPackConfig } from "@pulumi/policy";
import type { StackResource } from "../../policy/runner";
import { deployment, itReports, loadPolicyConfig, modified, object, report, withPod } from "./fixtures";

function typed(type: string, props: Record<string, unknown> = {}): StackResource {
  return { type, name: "thing", urn: `urn:pulumi:test::fixtures::${type}::thing`, props: { metadata: { name: "thing", namespace: "shop" }, ...props } };
}

const typoed = modified(deployment("web"), (props) => (props.apiVersion = "apps/v1beta3"));
typoed.type = "kubernetes:apps/v1beta3:Deployment";

describe("API type policies", () => {
  describe("kubernetes-known-kind", () => {
    itReports("kubernetes-known-kind", [
      {
        name: "knows built-in kinds, the platform's CRDs, Pulumi's own resources and Patch variants",
        resources: [
          deployment("web"),
          object("v1", "ConfigMap", "c"),
          object("extensions/v1beta1", "Ingress", "old"),
          ...[
            "cert-manager.io/v1:Certificate",
            "postgresql.cnpg.io/v1:Cluster",
            "postgresql.cnpg.io/v1:Pooler",
            "postgresql.cnpg.io/v1:ScheduledBackup",
            "postgresql.cnpg.io/v1:Backup",
            "postgresql.cnpg.io/v1:Database",
            "barmancloud.cnpg.io/v1:ObjectStore",
            "monitoring.coreos.com/v1:PrometheusRule",
            "monitoring.coreos.com/v1:ServiceMonitor",
            "monitoring.coreos.com/v1:PodMonitor",
            "monitoring.coreos.com/v1alpha1:AlertmanagerConfig",
            "gateway.networking.k8s.io/v1:GatewayClass",
            "gateway.networking.k8s.io/v1:Gateway",
            "gateway.networking.k8s.io/v1:HTTPRoute",
            "gateway.networking.k8s.io/v1:GRPCRoute",
            "gateway.networking.k8s.io/v1:ReferenceGrant",
            "helm.sh/v3:Release",
            "apps/v1:DeploymentPatch",
            "resource.k8s.io/v1:ResourceClaim",
          ].map((token) => typed(`kubernetes:${token}`)),
          typed("kubernetes:yaml/v2:ConfigGroup"),
          typed("random:index/randomPassword:RandomPassword"),
        ],
        expected: [],
      },
      {
        name: "flags a misspelt apiVersion, naming the right one",
        resources: [typoed],
        expected: ['apiVersion "apps/v1beta3" with kind "Deployment" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; did you mean apps/v1 Deployment?'],
      },
      {
        name: "flags a misspelt kind and an unknown custom resource",
        resources: [typed("kubernetes:core/v1:Secrets"), typed("kubernetes:cert-manager.io/v1alpha2:Certificate"), typed("kubernetes:example.com/v1:Widget")],
        expected: [
          'apiVersion "v1" with kind "Secrets" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; check apiVersion and kind, or add the CRD to CUSTOM_RESOURCES in policy/lib/kinds.ts',
          'apiVersion "cert-manager.io/v1alpha2" with kind "Certificate" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; did you mean cert-manager.io/v1 Certificate?',
          'apiVersion "example.com/v1" with kind "Widget" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; check apiVersion and kind, or add the CRD to CUSTOM_RESOURCES in policy/lib/kinds.ts',
        ],
      },
    ]);

    it("warns by default, and is mandatory under the staging and prod configs", async () => {
      const level = async (config: PolicyPackConfig) => (await report([typoed], config)).violations.find((violation) => violation.policyName === "kubernetes-known-kind")?.enforcementLevel;
      assert.strictEqual(await level({}), "advisory");
      assert.strictEqual(await level(loadPolicyConfig("dev")), "advisory");
      assert.strictEqual(await level(loadPolicyConfig("staging")), "mandatory");
      assert.strictEqual(await level(loadPolicyConfig("prod")), "mandatory");
    });
  });

  describe("kubernetes-schema", () => {
    const fix = "; fix the field (the API server would reject the object)";
    itReports("kubernetes-schema", [
      { name: "allows valid objects, and custom resources it has no schema for", resources: [deployment("web"), typed("kubernetes:postgresql.cnpg.io/v1:Cluster", { spec: "anything" })], expected: [] },
      {
        name: "names each field of the wrong type, and each missing required one",
        resources: [
          withPod(deployment("web"), (spec) => {
            spec.initContainers = "oops";
            spec.containers[0].ports = [{ containerPort: "eighty" }];
            delete spec.containers[0].name;
          }),
        ],
        expected: [
          `spec.template.spec.containers[0].name is required${fix}`,
          `spec.template.spec.containers[0].ports[0].containerPort must be integer${fix}`,
          `spec.template.spec.initContainers must be array${fix}`,
        ],
      },
      {
        name: "names an enum value outside its set",
        resources: [withPod(deployment("web"), (spec) => (spec.containers[0].imagePullPolicy = "Sometimes"))],
        expected: [`spec.template.spec.containers[0].imagePullPolicy must be one of "Always", "IfNotPresent", "Never"${fix}`],
      },
    ]);

    it("keeps the other policies from tripping over such objects: they skip them or do not apply", async () => {
      const noContainers = withPod(deployment("web"), (spec) => (spec.containers = "oops"));
      const stringCapabilities = withPod(deployment("api"), (spec) => (spec.containers[0].securityContext.capabilities.add = "SYS_ADMIN"));
      const result = await report([noContainers, stringCapabilities]);
      assert.deepStrictEqual(
        result.violations.filter((violation) => violation.policyName !== "kubernetes-schema").map((violation) => `${violation.policyName} ${violation.resourceName}`),
        [],
      );
      assert.ok(result.notApplicable.some((entry) => entry.policyName === "pss-capabilities" && entry.urn === stringCapabilities.urn && entry.reason === "the object does not match its Kubernetes schema (see kubernetes-schema)"));
    });
  });

  describe("deprecated-api-version", () => {
    itReports("deprecated-api-version", [
      { name: "allows current versions", resources: [deployment("web"), object("policy/v1", "PodDisruptionBudget", "web"), object("autoscaling/v2", "HorizontalPodAutoscaler", "web")], expected: [] },
      {
        name: "flags removed and deprecated versions with their replacement",
        resources: [object("extensions/v1beta1", "Ingress", "old"), object("batch/v1beta1", "CronJob", "old"), object("policy/v1beta1", "PodDisruptionBudget", "old"), object("v1", "Endpoints", "manual")],
        expected: [
          "extensions/v1beta1 Ingress is no longer served since Kubernetes 1.22; use networking.k8s.io/v1",
          "batch/v1beta1 CronJob is no longer served since Kubernetes 1.25; use batch/v1",
          "policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25; use policy/v1",
          "v1 Endpoints is deprecated; use discovery.k8s.io/v1 EndpointSlice",
        ],
      },
    ]);
  });
});
