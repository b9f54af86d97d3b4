/**
 * The shape of an alert rule and the wording helpers its texts share (rules.ts, kubernetesRules.ts, cnpgRules.ts).
 */
import { RUNBOOK_BASE_URL } from "./settings";

/** critical pages someone; warning goes to the team's chat. */
export type Severity = "critical" | "warning";

/** Alertmanager inhibits a subsystem's warnings while one of its critical alerts fires. */
export type Subsystem = "api" | "kubernetes" | "postgres" | "redis" | "backup" | "import";

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold; every rule has one so a single bad scrape never notifies. */
  for: string;
  severity: Severity;
  subsystem: Subsystem;
  /** Templates may use only `{{ $labels.<name> }}`, which keeps the promtool tests' expected text exact. */
  summary: string;
  description: string;
}

export interface AlertGroup {
  name: string;
  rules: AlertRule[];
}

/** Prometheus duration for a number of seconds, in the largest unit that divides it. */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}

export function humanSeconds(seconds: number): string {
  if (seconds >= 3600) return `${Number((seconds / 3600).toPrecision(4))} hours`;
  if (seconds >= 60) return `${Number((seconds / 60).toPrecision(4))} minutes`;
  return `${seconds} seconds`;
}

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}#${alert.toLowerCase()}`;
}

