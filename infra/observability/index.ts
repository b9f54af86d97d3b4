/**
 * Monitoring of one stack, rendered as the files the Pulumi program mounts: Prometheus configuration and alert
 * rules, Alertmanager configuration, Grafana provisioning and dashboards. Metric names and labels follow
 * docs/service-interface.md; each alert's runbook is a section of docs/runbooks.md.
 */
export {
  defaultThresholds,
  jobs,
  metricsPorts,
  PROMETHEUS_DATASOURCE_UID,
  RUNBOOK_BASE_URL,
  type AlertThresholds,
  type ObservabilitySettings,
} from "./settings";
export { renderPrometheusConfig } from "./prometheus";
export {
  alertGroups,
  alertLabels,
  prometheusRuleSpec,
  renderAlertRules,
  runbookUrl,
  type AlertGroup,
  type AlertRule,
  type RuleDocument,
  type RuleGroupDocument,
} from "./rules";
export { receiverNames, renderAlertmanagerConfig } from "./alertmanager";
export { renderGrafanaDashboards } from "./grafana";
export { selectorsFor, type Selectors } from "./selectors";
