import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import {
  alertGroups,
  prometheusRuleSpec,
  renderAlertRules,
  RUNBOOK_BASE_URL,
  type ObservabilitySettings,
  type RuleDocument,
  type RuleGroupDocument,
} from "../../infra/observability";
import { alertCases } from "../../infra/observability/tests/alert-cases";
import { renderAlertRuleTests } from "../../infra/observability/tests/promtool";
import { REPO_ROOT, run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { unscopedSelectors } from "./promql";
import { requireTool, RULES_FILE, sampleSettings } from "./support";

/** GitHub's anchor for a Markdown heading. */
function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

function runbookAnchors(): Set<string> {
  const markdown = readFileSync(path.join(REPO_ROOT, "docs", "runbooks.md"), "utf8");
  return new Set([...markdown.matchAll(/^#{2,4} (.+)$/gm)].map((m) => githubSlug(m[1])));
}

/**
 * The rule groups as the cluster gets them: the stack's PrometheusRule object, through YAML as a manifest is
 * applied, and its `spec.groups` read back out.
 */
function prometheusRuleGroups(s: ObservabilitySettings): RuleGroupDocument[] {
  const object = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "football-prediction", namespace: s.namespace },
    spec: prometheusRuleSpec(s),
  };
  return (parse(stringify(object)) as typeof object).spec.groups;
}

function rulesOf(groups: RuleGroupDocument[]): RuleDocument[] {
  return groups.flatMap((g) => g.rules);
}

/** Runs promtool over the test files in two processes, for the two CPU cores CI gives us. */
async function runPromtoolTests(dir: string, files: string[]): Promise<void> {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)].filter((h) => h.length > 0);
  await Promise.all(halves.map((half) => run("promtool", ["test", "rules", ...half], { cwd: dir })));
}

describe("observability: alert rules", () => {
  before(() => requireTool("promtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const groups = prometheusRuleGroups(settings);
      const rules = rulesOf(groups);
      const testFiles = renderAlertRuleTests(settings, groups);
      let dir: TempDir;

      before(() => {
        dir = new TempDir("fp-observability-");
        dir.write(RULES_FILE, stringify({ groups }, { lineWidth: 0 }));
        for (const [file, content] of Object.entries(testFiles)) dir.write(file, content);
      });
      after(() => dir.remove());

      it("passes promtool check rules on the PrometheusRule's groups", async () => {
        const output = await run("promtool", ["check", "rules", RULES_FILE], { cwd: dir.path });
        assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
      });

      it("passes promtool test rules: each alert fires, stays quiet just under its threshold or for too short, and ignores other namespaces", async function () {
        this.timeout(120_000);
        await runPromtoolTests(dir.path, Object.keys(testFiles).filter((file) => file.endsWith(".test.yml")));
      });

      it("renders the same groups as the promtool rules file", () => {
        assert.deepEqual(parse(renderAlertRules(settings)), { groups });
      });

      it("evaluates every group at the stack's interval and labels every alert with its namespace and environment", () => {
        assert.deepEqual(new Set(groups.map((g) => g.interval)), new Set([settings.evaluationInterval]));
        for (const rule of rules) {
          assert.equal(rule.labels.namespace, settings.namespace, rule.alert);
          assert.equal(rule.labels.environment, settings.environment, rule.alert);
        }
      });

      it("selects only the stack's namespace in every expression", () => {
        for (const rule of rules) assert.deepEqual(unscopedSelectors(rule.expr, settings.namespace), [], rule.alert);
      });

      it("has a firing and a quiet scenario for every alert, and none for alerts that do not exist", () => {
        const cases = alertCases(settings);
        assert.deepEqual(Object.keys(cases).sort(), rules.map((r) => r.alert).sort());
        for (const [alert, c] of Object.entries(cases)) {
          assert.ok(c.fires.length > 0, `${alert} has no firing scenario`);
          assert.ok(c.quiet.length > 0, `${alert} has no quiet scenario`);
        }
      });

      it("gives every alert a unique name, a severity, a summary, a description and a runbook section", () => {
        const anchors = runbookAnchors();
        assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, "duplicate alert names");
        for (const rule of rules) {
          assert.match(rule.labels.severity, /^(critical|warning)$/, `${rule.alert} severity`);
          assert.ok(rule.labels.subsystem, `${rule.alert} has no subsystem label (inhibition needs it)`);
          assert.ok(rule.annotations.summary && rule.annotations.description, `${rule.alert} summary/description`);
          assert.ok(rule.for, `${rule.alert} has no for`);
          const [base, anchor] = rule.annotations.runbook_url.split("#");
          assert.equal(base, RUNBOOK_BASE_URL);
          assert.ok(anchors.has(anchor), `docs/runbooks.md has no section for #${anchor} (${rule.alert})`);
        }
      });

      it("uses the stack's thresholds", () => {
        const t = settings.thresholds;
        const exprOf = (alert: string) => rules.find((r) => r.alert === alert)?.expr ?? "";
        assert.match(exprOf("HighErrorRatio"), new RegExp(`> ${t.errorRatio}$`));
        assert.match(exprOf("HighLatencyP95"), new RegExp(`> ${t.latencyP95Seconds}$`));
        assert.match(exprOf("BackupTooOld"), new RegExp(`> ${t.backupMaxAgeSeconds}$`));
        assert.match(exprOf("PostgresLongTransaction"), new RegExp(`> ${t.longTransactionSeconds}$`));
        assert.match(exprOf("PersistentVolumeFilling"), new RegExp(`> ${t.pvcUsageRatio}$`));
      });
    });
  }

  it("alerts on replication and failovers only with replicas, on archiving and base backups only with an object store", () => {
    for (const settings of Object.values(sampleSettings)) {
      const alerts = alertGroups(settings).flatMap((g) => g.rules.map((r) => r.alert));
      const replicas = settings.postgresInstances > 1;
      assert.equal(alerts.includes("CnpgReplicationLag"), replicas, settings.environment);
      assert.equal(alerts.includes("CnpgFailover"), replicas, settings.environment);
      assert.equal(alerts.includes("CnpgWalArchivingFailing"), settings.continuousBackups, settings.environment);
      assert.equal(alerts.includes("CnpgBaseBackupTooOld"), settings.continuousBackups, settings.environment);
      assert.ok(alerts.includes("CnpgClusterNotHealthy"), settings.environment);
      assert.ok(!alerts.includes("PostgresReplicationLag"), "the hand-rolled replica's alert is gone");
      assert.ok(!alerts.includes("KubeStateMetricsDown"), "the platform's kube-state-metrics is the platform's to watch");
    }
  });
});
