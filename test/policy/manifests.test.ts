import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { loadManifests, parseManifests } from "../../policy/manifests";
import { hasMandatoryViolations, loadPolicyConfig, runPolicies } from "../../policy/runner";

const dir = path.join(__dirname, "manifests");
const file = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["-r", "ts-node/register", "policy/cli.ts", ...args], { cwd: path.join(__dirname, "../.."), encoding: "utf8" });
}

describe("manifest mode", () => {
  it("maps apiVersion and kind to Pulumi type tokens, across documents and Lists", () => {
    const resources = loadManifests([file("restricted.yaml")]);
    assert.deepStrictEqual(
      resources.map(({ type, name, source }) => ({ type, name, source: path.basename(source ?? "") })),
      [
        { type: "kubernetes:core/v1:ServiceAccount", name: "shop/api", source: "restricted.yaml#1" },
        { type: "kubernetes:apps/v1:Deployment", name: "shop/api", source: "restricted.yaml#2" },
        { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "shop/default-deny", source: "restricted.yaml#3 items[0]" },
        { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "shop/api", source: "restricted.yaml#3 items[1]" },
      ],
    );
    assert.strictEqual(resources[1].urn, "urn:pulumi:manifests::restricted.yaml::kubernetes:apps/v1:Deployment::shop/api");
  });

  it("reads YAML nulls as unset fields", async () => {
    const yaml = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata: { name: tool, namespace: shop }",
      "spec:",
      "  securityContext: { runAsNonRoot: ~ }",
      "  containers:",
      "    - name: tool",
      "      image: busybox:1.36",
      "      ports: [{ containerPort: 80, hostPort: null }]",
      "      securityContext: { runAsNonRoot:, procMount: ~ }",
    ].join("\n");
    const result = await runPolicies(parseManifests(yaml, "nulls.yaml"));
    const messages = result.violations.filter((v) => ["pss-run-as-non-root", "pss-proc-mount", "pss-host-ports"].includes(v.policyName)).map((v) => v.message);
    assert.deepStrictEqual(messages, ['container "tool" may run as root; set spec.securityContext.runAsNonRoot=true (or set it on the container)']);
  });

  it("rejects documents that are not Kubernetes objects, and YAML errors", () => {
    assert.throws(() => parseManifests("kind: Pod\n", "bad.yaml"), { message: "bad.yaml#1: not a Kubernetes object (apiVersion and kind are required)" });
    assert.throws(() => parseManifests("apiVersion: v1\nkind: [\n", "broken.yaml"), /^Error: broken\.yaml#1: /);
  });

  it("reports the insecure Deployment as advisory under the dev config", async () => {
    const result = await runPolicies(loadManifests([file("insecure-deployment.yaml")]), loadPolicyConfig("dev"));
    assert.ok(result.violations.length > 10);
    assert.ok(!hasMandatoryViolations(result));
  });

  it("passes objects written to the restricted standard", async () => {
    const result = await runPolicies(loadManifests([file("restricted.yaml")]));
    assert.deepStrictEqual(result.violations, []);
  });

  it("finds pod-level, init-container and CronJob violations in multi-document YAML", async () => {
    const result = await runPolicies(loadManifests([file("pss-violations.yaml")]));
    const pss = result.violations
      .filter((violation) => violation.policyName.startsWith("pss-"))
      .map(({ policyName, resourceName, message }) => `${policyName} ${resourceName}: ${message}`);
    assert.deepStrictEqual(pss, [
      'pss-seccomp shop/debug: pod sets spec.securityContext.seccompProfile.type="Unconfined"; set it to RuntimeDefault or Localhost',
      "pss-run-as-non-root shop/debug: pod sets spec.securityContext.runAsNonRoot=false; set it to true",
      'pss-capabilities shop/report: init container "fetch" adds "NET_RAW" in securityContext.capabilities.add; remove it (only NET_BIND_SERVICE may be added)',
    ]);
  });

  describe("npm run policy -- check", () => {
    it("lists each problem of an insecure Deployment with its fix, and fails", () => {
      const { status, stdout } = cli("check", file("insecure-deployment.yaml"));
      assert.strictEqual(status, 1);
      for (const expected of [
        "pss-host-namespaces [mandatory, critical] 1 violation",
        'container "web" sets securityContext.privileged=true; remove it or set it to false',
        'volume "docker" uses hostPath',
        'container "web" image "nginx:latest" uses the latest tag; pin a version tag or a digest',
        'container "web" sets securityContext.runAsUser=0; use a non-zero UID',
        "sets env DB_PASSWORD to a literal value that looks like a secret",
        'namespace "shop" runs workloads but no NetworkPolicy denies ingress traffic by default',
        "Deployment shop/web (",
      ]) {
        assert.ok(stdout.includes(expected), `missing from the report: ${expected}\n${stdout}`);
      }
      assert.match(stdout, /\n\d+ mandatory, 0 advisory violations\.$/m);
    });

    it("explains its usage", () => {
      const { status, stderr } = cli("lint");
      assert.strictEqual(status, 2);
      assert.match(stderr, /^usage: npm run policy -- check \[--config <stack\|file\.json>\] <manifest\.yaml>\.\.\./);
    });
  });
});
