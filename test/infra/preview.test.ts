import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { manifests, REDACTED, writeManifests } from "../../infra/offline/manifests";
import type { RenderedStack } from "../../infra/offline/render";
import { diffReport, previewReport, settingsDiff } from "../../infra/offline/summary";
import { REPO_ROOT } from "../support/processes";
import { makeTempDir } from "../support/tempDir";
import { baseName, rendered } from "./helpers";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run preview -- <args>` as npm would, without npm. */
function previewCli(args: string[]): Promise<CliRun> {
  const argv = ["-r", require.resolve("ts-node/register"), path.join("scripts", "preview.ts"), ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd: REPO_ROOT, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

describe("infrastructure: offline preview", function () {
  this.timeout(120_000);

  let prod: RenderedStack;
  let dir: string;
  before(async () => {
    prod = await rendered("prod");
    dir = makeTempDir("fp-preview-");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lists every resource under its parent, with outputs and counts per type", () => {
    const report = previewReport(prod, 0);
    assert.match(report, /^ \+ {3}pulumi:pulumi:Stack +football-prediction-prod$/m);
    assert.match(report, /^ \+ {3}[├└]─ football-prediction:infra:App +app$/m);
    assert.match(report, /^ \+ {3}[│ ] {2}[├└]─ kubernetes:apps\/v1:Deployment +api-blue$/m);
    assert.match(report, /^ {4}kubernetes:apps\/v1:Deployment +7$/m);
    // Issue 11's "done when": the operators' objects and the routes, and no Prometheus, Alertmanager, Grafana or Ingress.
    assert.match(report, /^ {4}kubernetes:monitoring\.coreos\.com\/v1:PrometheusRule +1$/m);
    assert.match(report, /^ {4}kubernetes:monitoring\.coreos\.com\/v1:PodMonitor +5$/m);
    assert.match(report, /^ {4}kubernetes:monitoring\.coreos\.com\/v1alpha1:AlertmanagerConfig +1$/m);
    assert.match(report, /^ {4}kubernetes:gateway\.networking\.k8s\.io\/v1:HTTPRoute +3$/m);
    assert.match(report, /─ kubernetes:core\/v1:ConfigMap +dashboard-service$/m);
    assert.doesNotMatch(report, /Ingress|─ kubernetes:apps\/v1:\w+ +(prometheus|alertmanager|grafana|kube-state-metrics)$/m);
    assert.match(report, /^ {4}kubernetes:postgresql\.cnpg\.io\/v1:Cluster +1$/m);
    assert.match(report, new RegExp(`^ {4}\\+ ${prod.resources.length} to create$`, "m"));
    assert.match(report, /^ {4}serviceUrl: "https:\/\/api\.fp\.com"$/m);
  });

  it("writes readable manifests, one file per component, secrets redacted", () => {
    const files = writeManifests(prod, dir);
    assert.deepEqual(readdirSync(dir).sort(), files.map((f) => path.basename(f)).sort());
    assert.ok(files.some((f) => f.endsWith("-app.yaml")));
    const text = files.map((f) => readFileSync(f, "utf8")).join("\n");
    const documents = files.flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS()));
    assert.equal(documents.length, manifests(prod).length);
    const apiCredentials = documents.find((d) => d.kind === "Secret" && baseName(d.metadata.name) === "api-credentials");
    assert.deepEqual(apiCredentials.stringData, {
      DATABASE_URL: REDACTED,
      DIRECT_DATABASE_URL: REDACTED,
      JWT_SECRET: REDACTED,
      RATE_LIMIT_REDIS_URL: REDACTED,
      REDIS_URL: REDACTED,
    });
    for (const value of prod.generatedSecrets) {
      assert.ok(!text.includes(value), "a manifest file holds a generated secret");
    }
  });

  it("tabulates the settings that differ between two stacks", () => {
    const rows = new Map(settingsDiff("dev", "prod").map(([key, dev, prod]) => [key, [dev, prod]]));
    assert.deepEqual(rows.get("api.minReplicas"), ["1", "3"]);
    assert.deepEqual(rows.get("database.poolMax"), ["10", "20"]);
    assert.deepEqual(rows.get("ingress.host"), ['"dev.fp.local"', '"api.fp.com"']);
    assert.deepEqual(rows.get("monitoring.enabled"), ["false", "true"]);
    assert.deepEqual(rows.get("monitoring.scrapeInterval"), ["—", '"15s"']);
    assert.ok(!rows.has("imageRepository"), "equal settings are left out");
    assert.match(diffReport("dev", "prod"), /^\| api\.maxReplicas +\| 2 +\| 10 +\|$/m);
  });

  describe("the command line", () => {
    let clean: CliRun;
    let violating: CliRun;
    let misused: CliRun;
    before(async () => {
      [clean, violating, misused] = await Promise.all([
        previewCli(["prod"]),
        // A registry the prod policy config does not allow: the program accepts it, the pack must not.
        previewCli(["prod", "--set", "imageRepository=registry.example.com/football-prediction/service"]),
        previewCli(["prod", "--set", "imageRepository"]),
      ]);
    });

    it("ends `npm run preview -- prod` with a clean policy report after the resource summary, exit status 0", () => {
      assert.equal(clean.code, 0, clean.stderr);
      const summary = clean.stdout.indexOf("\nResources:\n");
      const report = clean.stdout.indexOf("\nPolicy report for stack prod: ");
      assert.ok(summary > 0 && report > summary, clean.stdout.slice(-2000));
      assert.match(clean.stdout, /\nPolicy report for stack prod: \d+ policies, \d+ resources\nNo policy violations\.\n+$/);
    });

    it("tabulates a mandatory violation per policy and exits non-zero", () => {
      assert.equal(violating.code, 1, violating.stderr);
      const report = violating.stdout.slice(violating.stdout.indexOf("Policy report for stack prod"));
      assert.match(report, /^image-registry-allowed \[mandatory(, \w+)?\] \d+ violations?$/m);
      assert.match(report, /^ {2}- Deployment api-blue +.*registry\.example\.com\/football-prediction\/service:0\.1\.0/m);
      assert.match(report, /^\d+ mandatory, 0 advisory violations?\.$/m);
    });

    it("refuses a --set without a value", () => {
      assert.equal(misused.code, 2);
      assert.match(misused.stderr, /--set needs <key>=<value>/);
    });
  });
});
