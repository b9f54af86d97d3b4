// The pack over this project's own Pulumi program, rendered offline for each stack.
import * as assert from "assert";
import { checkPolicies, policyResources } from "../../infra/offline/policy";
import { renderStack } from "../../infra/offline/render";
import { formatReport, type PolicyReport, type StackResource } from "../../policy/runner";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function mandatory(report: PolicyReport, policyName: string) {
  return report.violations.filter((violation) => violation.policyName === policyName && violation.enforcementLevel === "mandatory");
}

function find(resources: StackResource[], type: string, name: string): StackResource {
  const found = resources.find((resource) => resource.type === type && resource.name === name);
  assert.ok(found, `the prod stack has no ${type} ${name}`);
  return found;
}

describe("policy pack over this project's stacks", () => {
  for (const stack of ["dev", "test", "staging", "prod"]) {
    it(`${stack}: violates no mandatory policy`, async () => {
      const report = await checkPolicies(stack, policyResources(await renderStack(stack)));
      const failures = report.violations.filter((violation) => violation.enforcementLevel === "mandatory");
      assert.strictEqual(failures.length, 0, formatReport(report));
    });
  }

  describe("prod, changed for the worse", () => {
    let prod: StackResource[];

    before(async () => {
      prod = policyResources(await renderStack("prod"));
    });

    function changed(type: string, name: string, change: (props: Json) => void): StackResource[] {
      return prod.map((resource) => {
        if (resource.type !== type || resource.name !== name) {
          return resource;
        }
        const copy = structuredClone(resource);
        change(copy.props);
        return copy;
      });
    }

    it("catches a privileged container", async () => {
      const resources = changed("kubernetes:apps/v1:Deployment", "api-blue", (props) => (props.spec.template.spec.containers[0].securityContext.privileged = true));
      const [violation] = mandatory(await checkPolicies("prod", resources), "pss-privileged-containers");
      assert.strictEqual(violation?.urn, find(prod, "kubernetes:apps/v1:Deployment", "api-blue").urn);
      assert.match(violation.message, /^container "[^"]+" sets securityContext\.privileged=true; remove it or set it to false$/);
    });

    it("catches a latest image tag", async () => {
      const resources = changed("kubernetes:apps/v1:Deployment", "worker", (props) => {
        const container = props.spec.template.spec.containers[0];
        container.image = `${container.image.split(":")[0].split("@")[0]}:latest`;
      });
      const [violation] = mandatory(await checkPolicies("prod", resources), "image-tag-pinned");
      assert.strictEqual(violation?.urn, find(prod, "kubernetes:apps/v1:Deployment", "worker").urn);
      assert.match(violation.message, /uses the latest tag; pin a version tag or a digest/);
    });

    it("catches a missing NetworkPolicy", async () => {
      const allowApi = find(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-api");
      const defaultDeny = find(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny");
      const report = await checkPolicies("prod", prod.filter((resource) => resource !== allowApi && resource !== defaultDeny));
      assert.deepStrictEqual(
        mandatory(report, "workload-network-policy").map((violation) => violation.resourceName),
        ["api-blue", "api-green"],
      );
      assert.deepStrictEqual(
        mandatory(report, "namespace-default-deny").map((violation) => violation.message),
        [
          'namespace "football-prediction-prod" runs workloads but no NetworkPolicy denies ingress and egress traffic by default; add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and no rules',
        ],
      );
    });

    it("catches a wildcard Role", async () => {
      const resources = changed("kubernetes:rbac.authorization.k8s.io/v1:Role", "pulumi-preview", (props) => (props.rules[0].verbs = ["*"]));
      const [violation] = mandatory(await checkPolicies("prod", resources), "rbac-no-wildcards");
      assert.strictEqual(violation?.urn, find(prod, "kubernetes:rbac.authorization.k8s.io/v1:Role", "pulumi-preview").urn);
      assert.strictEqual(violation.message, 'rules[0].verbs contains "*"; list only the verbs the role needs');
    });
  });
});
