/**
 * Monitoring of one stack, rendered as what the cluster's Prometheus Operator and Grafana take: the alert rules
 * (a PrometheusRule's spec), the monitors, the Alertmanager routes (an AlertmanagerConfig's spec) and the dashboards
 * (one JSON file each, for Grafana's sidecar). Every selector names the stack's namespace: one Prometheus holds every
 * environment's series. Metric names and labels follow docs/service-interface.md; each alert's runbook is a section
 * of docs/runbooks.md.
 */
export {
  defaultThresholds,
  jobs,
  metricsPortNames,
  metricsPorts,
  PROMETHEUS_DATASOURCE_UID,
  RUNBOOK_BASE_URL,
  type AlertThresholds,
  type ObservabilitySettings,
} from "./settings";
export {
  alertGroups,
  prometheusRuleSpec,
  renderAlertRules,
  type AlertGroup,
  type AlertRule,
  type RuleDocument,
  type RuleGroupDocument,
} from "./rules";
export { monitors, type Monitor, type PodMonitorSpec } from "./monitors";
export { operatorScrapeConfigs, type OperatorScrapeConfig } from "./operatorConfig/scrape";
export {
  alertmanagerConfigSpec,
  receiverNames,
  type AlertmanagerConfigSpec,
  type ReceiverSecrets,
} from "./alertmanager";
export {
  operatorAlertmanagerConfig,
  type AlertmanagerConfigObject,
  type AlertmanagerYaml,
  type SecretLookup,
} from "./operatorConfig/alertmanager";
export { renderGrafanaDashboards } from "./grafana";
