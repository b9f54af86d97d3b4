import { stringify } from "yaml";
import { alertGroups, alertLabels, runbookUrl, type AlertRule, type RuleGroupDocument } from "../rules";
import type { ObservabilitySettings } from "../settings";
import { alertCases } from "./alert-cases";
import { elsewhere, type FiringScenario, type Labels, type QuietScenario } from "./scenarios";

/** Fills in `{{ $labels.x }}` the way Prometheus will, so expected annotations are exact. */
function expandLabels(template: string, labels: Labels): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => {
    const value = labels[name];
    if (value === undefined) throw new Error(`template refers to label ${name}, which the alert does not carry`);
    return value;
  });
}

function expectedAlert(rule: AlertRule, labels: Labels, s: ObservabilitySettings) {
  return {
    exp_labels: { ...labels, severity: rule.severity, subsystem: rule.subsystem, ...alertLabels(s) },
    exp_annotations: {
      summary: expandLabels(rule.summary, labels),
      description: expandLabels(rule.description, labels),
      runbook_url: runbookUrl(rule.alert),
    },
  };
}

function firingTest(rule: AlertRule, scenario: FiringScenario, interval: string, s: ObservabilitySettings) {
  return {
    name: `${rule.alert} fires: ${scenario.name}`,
    interval,
    input_series: scenario.series,
    alert_rule_test: [
      { eval_time: scenario.pendingAt, alertname: rule.alert, exp_alerts: [] },
      { eval_time: scenario.evalAt, alertname: rule.alert, exp_alerts: [expectedAlert(rule, scenario.labels, s)] },
    ],
    // Proves the condition already held at pendingAt, so the empty expectation above is about `for`.
    promql_expr_test: [
      {
        expr: `count(ALERTS{alertname="${rule.alert}",alertstate="pending"})`,
        eval_time: scenario.pendingAt,
        exp_samples: [{ labels: "{}", value: 1 }],
      },
    ],
  };
}

function quietTest(rule: AlertRule, scenario: QuietScenario, interval: string) {
  return {
    name: `${rule.alert} stays quiet: ${scenario.name}`,
    interval,
    input_series: scenario.series,
    alert_rule_test: [{ eval_time: scenario.evalAt, alertname: rule.alert, exp_alerts: [] }],
  };
}

/**
 * Another environment in trouble beside this one at peace: each firing scenario's series moved to another
 * namespace, next to the first quiet scenario's. The alert must stay quiet, since it is this stack's.
 */
function isolationTest(rule: AlertRule, firing: FiringScenario, calm: QuietScenario, interval: string, s: ObservabilitySettings) {
  return quietTest(
    rule,
    {
      name: `another namespace's "${firing.name}" beside this one's "${calm.name}"`,
      series: [...calm.series, ...elsewhere(firing.series, s.namespace)],
      evalAt: calm.evalAt,
    },
    interval,
  );
}

/**
 * One rule of the given groups in a file of its own: promtool evaluates every rule of its rules files at every
 * step of every test, so testing each alert against just its own rule keeps the suite fast. The group's
 * `interval` is left out: the test's `evaluation_interval`, the step of its samples, applies instead, or a
 * group evaluated more often than a coarse-stepped case's samples would see them go stale between two.
 */
function singleRuleFile(groups: RuleGroupDocument[], alert: string): string {
  for (const { interval: _evaluatedPerTest, ...group } of groups) {
    const rule = group.rules.find((r) => r.alert === alert);
    if (rule !== undefined) return stringify({ groups: [{ ...group, rules: [rule] }] }, { lineWidth: 0 });
  }
  throw new Error(`alert ${alert} is not in the rule groups`);
}

/**
 * The `promtool test rules` files (file name → content): per alert, `<Alert>.test.yml` and the rule it tests,
 * `<Alert>.rules.yml`, cut from `groups` (those of the stack's PrometheusRule) so the rule under test is exactly
 * the deployed one.
 */
export function renderAlertRuleTests(s: ObservabilitySettings, groups: RuleGroupDocument[]): Record<string, string> {
  const cases = alertCases(s);
  const files: Record<string, string> = {};
  for (const rule of alertGroups(s).flatMap((group) => group.rules)) {
    const c = cases[rule.alert];
    if (c === undefined) throw new Error(`alert ${rule.alert} has no test cases`);
    const rulesFile = `${rule.alert}.rules.yml`;
    const step = `${c.stepMinutes ?? 1}m`;
    files[rulesFile] = singleRuleFile(groups, rule.alert);
    files[`${rule.alert}.test.yml`] = stringify(
      {
        rule_files: [rulesFile],
        evaluation_interval: step,
        tests: [
          ...c.fires.map((f) => firingTest(rule, f, step, s)),
          ...c.quiet.map((q) => quietTest(rule, q, step)),
          ...c.fires.map((f) => isolationTest(rule, f, c.quiet[0], step, s)),
        ],
      },
      { lineWidth: 0 },
    );
  }
  return files;
}
