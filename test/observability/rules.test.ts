import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { alertGroups, renderAlertRules, RUNBOOK_BASE_URL } from "../../infra/observability";
import { alertCases, renderAlertRuleTests } from "../../infra/observability/tests/alert-cases";
import { REPO_ROOT, run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, RULES_FILE, sampleSettings } from "./support";

/** GitHub's anchor for a Markdown heading. */
function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

function runbookAnchors(): Set<string> {
  const markdown = readFileSync(path.join(REPO_ROOT, "docs", "runbooks.md"), "utf8");
  return new Set([...markdown.matchAll(/^#{2,4} (.+)$/gm)].map((m) => githubSlug(m[1])));
}

interface RenderedRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function renderedRules(rendered: string): RenderedRule[] {
  const doc = parse(rendered) as { groups: { name: string; rules: RenderedRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
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
      const rendered = renderAlertRules(settings);
      const testFiles = renderAlertRuleTests(settings);
      let dir: TempDir;

      before(() => {
        dir = new TempDir("fp-observability-");
        dir.write(RULES_FILE, rendered);
        for (const [file, content] of Object.entries(testFiles)) dir.write(file, content);
      });
      after(() => dir.remove());

      it("passes promtool check rules", async () => {
        const output = await run("promtool", ["check", "rules", RULES_FILE], { cwd: dir.path });
        assert.match(output, /SUCCESS/);
      });

      it("passes promtool test rules: each alert fires, and stays quiet just under its threshold or for too short", async function () {
        this.timeout(60_000);
        await runPromtoolTests(dir.path, Object.keys(testFiles).filter((file) => file.endsWith(".test.yml")));
      });

      it("has a firing and a quiet scenario for every alert, and none for alerts that do not exist", () => {
        const cases = alertCases(settings);
        const alerts = renderedRules(rendered).map((r) => r.alert);
        assert.deepEqual(Object.keys(cases).sort(), [...alerts].sort());
        for (const [alert, c] of Object.entries(cases)) {
          assert.ok(c.fires.length > 0, `${alert} has no firing scenario`);
          assert.ok(c.quiet.length > 0, `${alert} has no quiet scenario`);
        }
      });

      it("gives every alert a unique name, a severity, a summary, a description and a runbook section", () => {
        const anchors = runbookAnchors();
        const rules = renderedRules(rendered);
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
        const exprOf = (alert: string) => renderedRules(rendered).find((r) => r.alert === alert)?.expr ?? "";
        assert.match(exprOf("HighErrorRatio"), new RegExp(`> ${t.errorRatio}$`));
        assert.match(exprOf("HighLatencyP95"), new RegExp(`> ${t.latencyP95Seconds}$`));
        assert.match(exprOf("BackupTooOld"), new RegExp(`> ${t.backupMaxAgeSeconds}$`));
        assert.match(exprOf("PostgresLongTransaction"), new RegExp(`> ${t.longTransactionSeconds}$`));
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
    }
  });
});
