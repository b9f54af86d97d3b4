// Manifest mode over policy/examples (good, bad and broken manifests, as the README runs it): every problem is
// reported with its file and document, the run goes on past broken documents, and the exit status is 0, 1 or 2.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { runCli } from "../../policy/cli";
import { loadManifests, parseManifests } from "../../policy/manifests";
import { runPolicies } from "../../policy/runner";
import { REPO_ROOT } from "../support/processes";
import { TempDir } from "../support/tempDir";

const EXAMPLES = "policy/examples";

/** Runs `npm run policy -- <args>` in-process, from the repository root as npm would. */
async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(REPO_ROOT);
  try {
    const status = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    process.chdir(cwd);
  }
}

/** `<policy>: <subject>  <message>` lines of a report, for the violations of one file. */
function linesAbout(stdout: string, file: string): string[] {
  return stdout.split("\n").filter((line) => line.includes(file));
}

describe("manifest mode", () => {
  it("maps apiVersion and kind to Pulumi type tokens, across documents and Lists", () => {
    const { resources, problems } = loadManifests([path.join(REPO_ROOT, EXAMPLES, "good")]);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(
      resources.map(({ type, name, source }) => ({ type, name, source: path.relative(REPO_ROOT, source ?? "") })),
      [
        { type: "kubernetes:core/v1:ServiceAccount", name: "shop/api", source: `${EXAMPLES}/good/shop.yaml#1` },
        { type: "kubernetes:apps/v1:Deployment", name: "shop/api", source: `${EXAMPLES}/good/shop.yaml#2` },
        { type: "kubernetes:core/v1:Service", name: "shop/api", source: `${EXAMPLES}/good/shop.yaml#3` },
        { type: "kubernetes:policy/v1:PodDisruptionBudget", name: "shop/api", source: `${EXAMPLES}/good/shop.yaml#4` },
        { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "shop/default-deny", source: `${EXAMPLES}/good/shop.yaml#5 items[0]` },
        { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "shop/api", source: `${EXAMPLES}/good/shop.yaml#5 items[1]` },
      ],
    );
    assert.strictEqual(resources[1].urn, "urn:pulumi:manifests::shop.yaml::kubernetes:apps/v1:Deployment::shop/api");
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
      "      ports: [{ containerPort: 8080, hostPort: null }]",
      "      securityContext: { runAsNonRoot:, procMount: ~ }",
    ].join("\n");
    const result = await runPolicies(parseManifests(yaml, "nulls.yaml").resources);
    const messages = result.violations.filter((v) => ["pss-run-as-non-root", "pss-proc-mount", "pss-host-ports"].includes(v.policyName)).map((v) => v.message);
    assert.deepStrictEqual(messages, ['container "tool" may run as root; set spec.securityContext.runAsNonRoot=true (or set it on the container)']);
  });

  it("turns each document that is no YAML or no Kubernetes object into a problem, and keeps the others", () => {
    const text = ["apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }", "kind: Pod", "apiVersion: v1\nkind: [", "42", "apiVersion: v1\nkind: List\nitems: nope", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }"].join("\n---\n");
    const { resources, problems } = parseManifests(text, "mixed.yaml");
    assert.deepStrictEqual(resources.map((resource) => resource.source), ["mixed.yaml#1", "mixed.yaml#6"]);
    assert.deepStrictEqual(problems.map(({ source, message }) => `${source} ${message.replace(/ at line .*/, "")}`), [
      "mixed.yaml#2 apiVersion is missing; every Kubernetes object needs apiVersion and kind",
      "mixed.yaml#3 YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "mixed.yaml#4 the document is a number, not a Kubernetes object (a mapping with apiVersion and kind)",
      "mixed.yaml#5 items must be a list of objects, not a string",
    ]);
  });

  describe("npm run policy -- check", () => {
    let report: Awaited<ReturnType<typeof cli>>;

    before(async () => {
      report = await cli("check", EXAMPLES);
    });

    it("walks the directory and fails on the mandatory violations it finds", () => {
      assert.strictEqual(report.status, 1);
      assert.strictEqual(report.stderr, "");
      assert.match(report.stdout, /^Policy report for stack manifests: \d+ policies, 22 resources\n/);
      assert.match(report.stdout, /\n\d+ mandatory, 1 advisory violations\.$/);
    });

    it("passes the good manifests without a word", () => {
      assert.deepStrictEqual(linesAbout(report.stdout, "/good/"), []);
    });

    it("lists each problem of the bad manifests with file, document and fix", () => {
      const lines = linesAbout(report.stdout, "/bad/").join("\n");
      for (const expected of [
        'Deployment shop/web (policy/examples/bad/insecure-deployment.yaml#1)  container "web" sets securityContext.privileged=true; remove it or set it to false',
        'volume "docker" uses hostPath',
        'container "web" image "nginx:latest" uses the latest tag',
        'container "web" sets securityContext.runAsUser=0; use a non-zero UID',
        "sets env DB_PASSWORD to a literal value that looks like a secret",
        'Pod shop/debug (policy/examples/bad/pss-violations.yaml#1)            pod sets spec.securityContext.seccompProfile.type="Unconfined"',
        'CronJob shop/report (policy/examples/bad/pss-violations.yaml#2)       init container "fetch" adds "NET_RAW"',
        'Role shop/debugger (policy/examples/bad/rbac.yaml#1)           rules[1] grants create on "pods/exec"',
        'RoleBinding shop/developers (policy/examples/bad/rbac.yaml#2)  bound ClusterRole "edit" grants "get", "list", "watch" on all secrets',
        'HTTPRoute shop/api (policy/examples/bad/gateway.yaml#2)  HTTPRoute "api" in namespace "shop" attaches to Gateway "edge/shared", whose listener "https" refuses it: it admits routes from its own namespace "edge" only',
        'spec.enableSuperuserAccess is true: the "postgres" superuser gets a password and can log in over the network; set it to false',
        'spec.postgresql.parameters.ssl is "off": connections would be plaintext; remove it (the operator turns TLS on)',
        "spec.configuration.data.encryption is not set: base backups would be stored unencrypted; set AES256 or aws:kms",
        "spec.serviceTemplate.spec.type is LoadBalancer: PgBouncer would accept connections from outside the cluster; use ClusterIP",
        'ServiceMonitor shop/api (policy/examples/bad/monitoring.yaml#1)  spec.namespaceSelector.any is true, which selects targets in every namespace',
        'spec.endpoints[0].bearerTokenFile reads "/var/run/secrets/kubernetes.io/serviceaccount/token" from the Prometheus pod\'s filesystem',
        'AlertmanagerConfig shop/shop (policy/examples/bad/monitoring.yaml#2)  spec.receivers[0].webhookConfigs[0].url carries a credential (its query parameter "token" holds a secret)',
      ]) {
        assert.ok(lines.includes(expected), `missing from the report: ${expected}\n${report.stdout}`);
      }
    });

    it("reports the broken manifests by file, document and field, and checks the documents around them", () => {
      const lines = linesAbout(report.stdout, "/broken/").map((line) => line.trim().replace(/\s{2,}/g, "  "));
      for (const expected of [
        "- policy/examples/broken/syntax.yaml#2  YAML syntax error: Flow map in block collection must be sufficiently indented and end with a } at line 10, column 1",
        "- policy/examples/broken/not-an-object.yaml#1  apiVersion is missing; every Kubernetes object needs apiVersion and kind",
        "- policy/examples/broken/not-an-object.yaml#2  the document is a list, not a Kubernetes object (a mapping with apiVersion and kind)",
        "- Deployment shop/worker (policy/examples/broken/schema.yaml#1)  spec.template.spec.containers must be array; fix the field (the API server would reject the object)",
        "- Deployment shop/worker (policy/examples/broken/schema.yaml#1)  spec.template.spec.initContainers[0].ports[0].containerPort must be integer; fix the field (the API server would reject the object)",
        '- Deployment shop/miner (policy/examples/broken/typo.yaml#1)  apiVersion "app/v1" with kind "Deployment" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; did you mean apps/v1 Deployment?',
        '- ConfigMap shop/limits (policy/examples/broken/syntax.yaml#3)  ConfigMap key "DB_PASSWORD" looks like a secret (its name marks it as a secret); move it to a Secret and reference it with secretKeyRef',
      ]) {
        assert.ok(lines.includes(expected), `missing from the report: ${expected}\n${lines.join("\n")}`);
      }
      assert.match(report.stdout, /kubernetes-known-kind \[advisory, high\] 1 violation/);
    });

    it("exits 0 on the good manifests, and makes unknown kinds mandatory with --strict-kinds", async () => {
      const good = await cli("check", `${EXAMPLES}/good`);
      assert.strictEqual(good.status, 0, good.stdout);
      assert.match(good.stdout, /No policy violations\.$/);
      const strict = await cli("check", "--strict-kinds", "--config", "dev", `${EXAMPLES}/broken/typo.yaml`);
      assert.strictEqual(strict.status, 1);
      assert.match(strict.stdout, /kubernetes-known-kind \[mandatory, high\] 1 violation/);
      // The privileged miner behind the typo: no pod policy recognises it, only kubernetes-known-kind speaks up.
      assert.match(strict.stdout, /\n1 mandatory, 0 advisory violation\.$/);
    });

    it("exits 2 on unreadable input, after checking what it could read", async () => {
      const empty = new TempDir("policy-empty");
      try {
        empty.write("notes.txt", "not YAML");
        const result = await cli("check", `${EXAMPLES}/good`, "missing.yaml", empty.path);
        assert.strictEqual(result.status, 2);
        assert.match(result.stdout, /No policy violations\.$/);
        assert.strictEqual(result.stderr, `cannot read missing.yaml: no such file or directory\ncannot read ${empty.path}: no .yaml or .yml files in this directory`);
      } finally {
        empty.remove();
      }
    });

    it("exits 2 with its usage on a wrong command line, and with the engine's message on a bad config", async () => {
      for (const args of [["lint"], ["check"], ["check", "--config"], ["check", "--strict", EXAMPLES]]) {
        const result = await cli(...args);
        assert.strictEqual(result.status, 2, args.join(" "));
        assert.match(result.stderr, /^usage: npm run policy -- check \[--config <stack\|file\.json>\] \[--strict-kinds\] <file\|directory>\.\.\./);
      }
      const badConfig = await cli("check", "--config", "nowhere", EXAMPLES);
      assert.strictEqual(badConfig.status, 2);
      assert.match(badConfig.stderr, /no policy config for "nowhere"/);
    });

    it("sets the exit status of the real command", () => {
      const result = spawnSync("npm", ["run", "-s", "policy", "--", "check", `${EXAMPLES}/bad/rbac.yaml`], { cwd: REPO_ROOT, encoding: "utf8" });
      assert.strictEqual(result.status, 1, result.stderr);
      assert.match(result.stdout, /rbac-no-pod-exec-attach \[mandatory, high\] 2 violations/);
    });
  });
});
