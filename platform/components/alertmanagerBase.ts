/**
 * The cluster Alertmanager's own configuration (kube-prometheus-stack's `alertmanager.config`), into which the
 * Prometheus Operator merges every environment's AlertmanagerConfig. It is exported as a plain object so the
 * environment tests can build the configuration the operator would produce and check it with amtool. What the
 * operator does with `alertmanagerConfigMatcherStrategy: OnNamespace` (prometheus-operator/prometheus-operator,
 * pkg/alertmanager/amcfg.go, `AddAlertmanagerConfigs`): each AlertmanagerConfig's route becomes a child of this
 * root route placed before the routes below, with a `namespace="<its namespace>"` matcher and `continue: true`; its
 * receivers are appended under names prefixed `<namespace>/<config name>/`; its inhibit rules are appended with the
 * same namespace matcher on source and target.
 *
 * Modelled on the chart's default `alertmanager.config` (prometheus-community/helm-charts,
 * charts/kube-prometheus-stack/values.yaml): the same grouping, timings, `null` receiver and Watchdog route. Two
 * differences, both on purpose:
 * - `inhibit_rules` is empty. The chart's defaults inhibit by `namespace` and `alertname` across the whole cluster;
 *   each environment's AlertmanagerConfig carries its own inhibitions (the operator confines them to its namespace),
 *   so a cluster-wide rule here would silently change what the environments' amtool tests check.
 * - `templates` is empty: no template files are mounted (`alertmanager.templateFiles` is left empty).
 *
 * Every key is set, because Helm merges a map value into the chart's default map but replaces lists: setting only
 * some keys would leave the chart's others (its inhibit rules, its templates) in the rendered configuration.
 */
export const NULL_RECEIVER = "null";

export const ALERTMANAGER_BASE_CONFIG = {
  global: { resolve_timeout: "5m" },
  route: {
    receiver: NULL_RECEIVER,
    group_by: ["namespace"],
    group_wait: "30s",
    group_interval: "5m",
    repeat_interval: "12h",
    // The chart's Watchdog alert fires always, to prove the pipeline works; with no dead-man's-switch service yet it
    // goes nowhere, as in the chart's default.
    routes: [{ receiver: NULL_RECEIVER, matchers: ['alertname = "Watchdog"'] }],
  },
  receivers: [{ name: NULL_RECEIVER }],
  inhibit_rules: [],
  templates: [],
} as const;

export type AlertmanagerBaseConfig = typeof ALERTMANAGER_BASE_CONFIG;
