/**
 * Monitoring of one stack, rendered as the files the Pulumi program mounts: Prometheus configuration and alert
 * rules, Alertmanager configuration, Grafana provisioning and dashboards. Metric names and labels follow
 * docs/service-interface.md; each alert's runbook is a section of docs/runbooks.md.
 */
export {
  defaultThresholds,
  jobs,
  kubeStateMetricsResources,
  metricsPortNames,
  metricsPorts,
  mountPaths,
  prometheusService,
  PROMETHEUS_DATASOURCE_UID,
  RUNBOOK_BASE_URL,
  type AlertThresholds,
  type ObservabilitySettings,
} from "./settings";
export { monitors, type Monitor, type PodMonitorSpec } from "./monitors";
export { operatorScrapeConfigs, type OperatorScrapeConfig } from "./operatorConfig/scrape";
export { alertGroups, renderAlertRules, runbookUrl, type AlertGroup, type AlertRule } from "./rules";
export { alertmanagerConfigSpec, receiverNames, type AlertmanagerConfigSpec } from "./alertmanager";
export {
  operatorAlertmanagerConfig,
  type AlertmanagerConfigObject,
  type AlertmanagerYaml,
  type SecretLookup,
} from "./operatorConfig/alertmanager";
export { renderGrafanaDashboardProviders, renderGrafanaDashboards, renderGrafanaDatasources } from "./grafana";
