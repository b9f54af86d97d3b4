// Prometheus Operator objects an environment hands to the cluster's one Prometheus, which every environment shares:
// its monitors scrape only its own namespace and read no file of the Prometheus pod, its PrometheusRules are rule
// files Prometheus accepts with alerts that say how bad they are and where their runbook is, and every monitoring
// object and dashboard carries the labels the shared stack selects them by (one without is silently ignored).
// AlertmanagerConfigs are alertmanagerConfig.ts's.
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import { fieldsOf, Fields, fileFields, knownNamespaceOf, knownString, objectsAt, stringsIn } from "../lib/fields";
import { KubernetesObject, Labels, quoteList } from "../lib/k8s";

export const MONITORING_GROUP = "monitoring.coreos.com";
const SERVICE_MONITOR = `${MONITORING_GROUP}:ServiceMonitor`;
const POD_MONITOR = `${MONITORING_GROUP}:PodMonitor`;
const PROMETHEUS_RULE = `${MONITORING_GROUP}:PrometheusRule`;
const ALERTMANAGER_CONFIG = `${MONITORING_GROUP}:AlertmanagerConfig`;

/** Where each monitor kind lists its endpoints. */
const ENDPOINTS_FIELD: Record<string, string> = { [SERVICE_MONITOR]: "endpoints", [POD_MONITOR]: "podMetricsEndpoints" };

function specOf(object: KubernetesObject): Fields {
  return fieldsOf(object.spec) ?? {};
}

const monitorOwnNamespace = objectPolicy({
  name: "monitor-own-namespace",
  description: "ServiceMonitors and PodMonitors must select targets in their own namespace only, since the cluster's Prometheus is shared by every environment and would scrape another tenant's pods for them: remove namespaceSelector.any and name no other namespace in namespaceSelector.matchNames.",
  severity: "high",
  counterparts: {},
  kinds: Object.keys(ENDPOINTS_FIELD),
  check: (monitor) => {
    const namespace = knownNamespaceOf(monitor);
    const selector = fieldsOf(specOf(monitor).namespaceSelector) ?? {};
    if (namespace === undefined) {
      return [];
    }
    const others = stringsIn(selector.matchNames).filter((name) => name !== namespace);
    return [
      ...(selector.any === true ? [`spec.namespaceSelector.any is true, which selects targets in every namespace; remove it (the default is the monitor's own namespace "${namespace}")`] : []),
      ...(others.length > 0
        ? [`spec.namespaceSelector.matchNames names ${quoteList(others)}, not the monitor's own namespace "${namespace}"; remove ${others.length === 1 ? "it" : "them"} and monitor each namespace from there`]
        : []),
    ];
  },
});

// The Prometheus Operator's own guard, `arbitraryFSAccessThroughSMs.deny` on the Prometheus
// (pkg/apis/monitoring/v1/prometheus_types.go, commit d9f72134): a bearerTokenFile sends the Prometheus pod's
// service-account token to the target. With it set, the operator rejects a ServiceMonitor whose endpoint names
// bearerTokenFile or tlsConfig caFile, certFile or keyFile (testForArbitraryFSAccess in
// pkg/prometheus/resource_selector.go, commit 001ab372). This policy refuses every file field of any monitor's
// endpoint, so a new one is caught as well.
const monitorNoFileAccess = objectPolicy({
  name: "monitor-no-file-access",
  description: "ServiceMonitor and PodMonitor endpoints must not name files (bearerTokenFile, tlsConfig.caFile, certFile, keyFile, …), which the shared Prometheus reads from its own pod, sending its service-account token to a target for a bearerTokenFile: take credentials from a Secret in the monitor's namespace (authorization.credentials, tlsConfig.ca.secret, tlsConfig.keySecret).",
  severity: "high",
  counterparts: {},
  kinds: Object.keys(ENDPOINTS_FIELD),
  check: (monitor, _config, kind) =>
    objectsAt(specOf(monitor)[ENDPOINTS_FIELD[kind]], `spec.${ENDPOINTS_FIELD[kind]}`).flatMap((endpoint) =>
      fileFields(endpoint.value, endpoint.path).map(
        (field) => `${field.path} reads "${field.value}" from the Prometheus pod's filesystem; reference a Secret key in the monitor's namespace instead`,
      ),
    ),
});

/** A rule's place and name for messages: `spec.groups[0].rules[2] (alert "ApiDown")`. */
function ruleLabel(path: string, rule: Fields): string {
  const alert = knownString(rule.alert);
  const record = knownString(rule.record);
  return alert !== undefined ? `${path} (alert "${alert}")` : record !== undefined ? `${path} (record "${record}")` : path;
}

function ruleProblems(path: string, rule: Fields): string[] {
  const label = ruleLabel(path, rule);
  const kinds = ["alert", "record"].filter((key) => rule[key] !== undefined);
  const expr = rule.expr;
  return [
    ...(kinds.length === 1 ? [] : [`${label} ${kinds.length === 0 ? "sets neither alert nor record" : "sets both alert and record"}; a rule is one or the other`]),
    ...(typeof expr === "string" && expr.trim() === "" ? [`${label} has an empty expr; give the PromQL expression the rule evaluates`] : []),
    ...(expr === undefined ? [`${label} has no expr; give the PromQL expression the rule evaluates`] : []),
  ];
}

// The operator runs each PrometheusRule through Prometheus' own rule-file parser (rulefmt.Parse, called by
// ValidateRule in pkg/operator/rules.go, commit 037f9bb3) and, when it fails, leaves the whole object out of
// Prometheus with only a warning event: every alert in it silently stops.
const ruleFileValid = objectPolicy({
  name: "prometheusrule-valid",
  description: "A PrometheusRule must be a rule file Prometheus accepts, since the operator silently drops every rule of one it rejects: give each group a name no other group of the object has, and each rule an expr and exactly one of alert and record.",
  severity: "high",
  counterparts: {},
  kinds: [PROMETHEUS_RULE],
  check: (rule) => {
    const groups = objectsAt(specOf(rule).groups, "spec.groups");
    const firstByName = new Map<string, string>();
    return groups.flatMap((group) => {
      const name = knownString(group.value.name);
      const first = name === undefined ? undefined : firstByName.get(name);
      if (name !== undefined && first === undefined) {
        firstByName.set(name, group.path);
      }
      return [
        ...(group.value.name === undefined || name === "" ? [`${group.path} has no name; name the group`] : []),
        ...(first !== undefined ? [`${group.path}.name "${name}" repeats the name of ${first}; Prometheus refuses a rule file with a repeated group name, so rename one`] : []),
        ...objectsAt(group.value.rules, `${group.path}.rules`).flatMap((entry) => ruleProblems(entry.path, entry.value)),
      ];
    });
  },
});

interface AlertLabelsConfig {
  severities?: string[];
}

function labelsOf(value: unknown): Labels {
  return Object.fromEntries(Object.entries(fieldsOf(value) ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function runbookProblem(annotations: Labels): string | undefined {
  const runbook = annotations.runbook_url;
  if (runbook === undefined) {
    return "has no runbook_url annotation; link the runbook section that says what to do";
  }
  let url: URL | undefined;
  try {
    url = new URL(runbook);
  } catch {
    url = undefined;
  }
  return url?.protocol === "https:" ? undefined : `has runbook_url "${runbook}", which is no https URL; link the runbook over https`;
}

function alertProblems(path: string, rule: Fields, groupLabels: Labels, namespace: string | undefined, severities: string[]): string[] {
  if (rule.alert === undefined) {
    return [];
  }
  const label = ruleLabel(path, rule);
  // Prometheus 3 adds a group's labels to each of its rules; a rule's own label of the same name wins.
  const labels = { ...groupLabels, ...labelsOf(rule.labels) };
  const runbook = runbookProblem(labelsOf(rule.annotations));
  return [
    ...(labels.severity === undefined
      ? [`${label} has no severity label; set one of ${quoteList(severities)}, which routing and inhibition match on`]
      : severities.includes(labels.severity)
        ? []
        : [`${label} has severity "${labels.severity}"; use one of ${quoteList(severities)}, which routing and inhibition match on`]),
    ...(runbook === undefined ? [] : [`${label} ${runbook}`]),
    ...(namespace !== undefined && labels.namespace !== undefined && labels.namespace !== namespace
      ? [`${label} sets label namespace="${labels.namespace}", so the shared Alertmanager routes it as that namespace's alert; remove the label or set it to "${namespace}"`]
      : []),
  ];
}

const alertLabels = objectPolicy<AlertLabelsConfig>({
  name: "prometheusrule-alert-labels",
  description: "Every alerting rule must carry a severity label of the allowed severities and a runbook_url annotation with an https URL, and no namespace label naming another namespace (the shared Alertmanager would route the alert to that namespace's receivers): set the label and annotation, and leave namespace to the rule's own namespace.",
  severity: "medium",
  counterparts: {},
  kinds: [PROMETHEUS_RULE],
  config: {
    severities: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      minItems: 1,
      default: ["critical", "warning", "info"],
      description: "The severity label values alerting rules may use; the routes of the environment's AlertmanagerConfig match on them.",
    },
  },
  check: (rule, { severities = [] }) => {
    const namespace = knownNamespaceOf(rule);
    return objectsAt(specOf(rule).groups, "spec.groups").flatMap((group) =>
      objectsAt(group.value.rules, `${group.path}.rules`).flatMap((entry) => alertProblems(entry.path, entry.value, labelsOf(group.value.labels), namespace, severities)),
    );
  },
});

interface SelectorLabelsConfig {
  selectorLabels?: Labels;
  dashboardLabels?: Labels;
}

const labelsSchema = (description: string) => ({ type: "object" as const, additionalProperties: { type: "string" as const }, default: {}, description });

/** True for a ConfigMap holding a Grafana dashboard: a `.json` key whose value is a dashboard model (it has panels). */
function holdsDashboard(configMap: KubernetesObject): boolean {
  return Object.entries(fieldsOf(configMap.data) ?? {}).some(([key, value]) => {
    if (!key.endsWith(".json") || typeof value !== "string") {
      return false;
    }
    try {
      return Array.isArray(fieldsOf(JSON.parse(value))?.panels);
    } catch {
      return false;
    }
  });
}

function missingLabels(object: KubernetesObject, wanted: Labels): string[] {
  const labels = object.metadata?.labels ?? {};
  return Object.entries(wanted)
    .filter(([key, value]) => labels[key] !== value)
    .map(([key, value]) => `${key}="${value}"`);
}

const selectorLabels = objectPolicy<SelectorLabelsConfig>({
  name: "monitoring-selector-labels",
  description: "PrometheusRules, ServiceMonitors, PodMonitors and AlertmanagerConfigs must carry the labels the cluster's Prometheus and Alertmanager select them by (selectorLabels), and ConfigMaps holding a Grafana dashboard the labels Grafana's sidecar loads them by (dashboardLabels), since an object without them is silently ignored: add the labels the violation names.",
  severity: "medium",
  // A warning by default, as the labels are a cluster's convention; staging and prod make it mandatory.
  enforcementLevel: "advisory",
  counterparts: {},
  kinds: [PROMETHEUS_RULE, SERVICE_MONITOR, POD_MONITOR, ALERTMANAGER_CONFIG, "core:ConfigMap"],
  config: {
    selectorLabels: labelsSchema("Labels (name to value) the cluster's Prometheus and Alertmanager select monitoring objects by, e.g. the platform's include label."),
    dashboardLabels: labelsSchema("Labels (name to value) Grafana's dashboard sidecar loads ConfigMaps by, e.g. grafana_dashboard: \"1\"."),
  },
  check: (object, { selectorLabels: monitoring = {}, dashboardLabels = {} }, kind) => {
    const dashboard = kind === "core:ConfigMap";
    if (dashboard && !holdsDashboard(object)) {
      return [];
    }
    const missing = missingLabels(object, dashboard ? dashboardLabels : monitoring);
    return missing.length === 0
      ? []
      : [`metadata.labels lack ${missing.join(", ")}, so ${dashboard ? "Grafana's sidecar does not load this dashboard" : "the cluster's monitoring ignores this object"}; add ${missing.length === 1 ? "it" : "them"}`];
  },
});

export const monitoringPolicies: Policies = [monitorOwnNamespace, monitorNoFileAccess, ruleFileValid, alertLabels, selectorLabels];
