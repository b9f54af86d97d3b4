import * as assert from "assert";
import { MONITORING } from "../../platform/outputs";
import { resolvePolicyConfig } from "../../policy/runner";
import { itReports, loadPolicyConfig, object, report } from "./fixtures";

const API = "monitoring.coreos.com/v1";
const INCLUDE = { "monitoring.example.com/include": "true" };

function podMonitor(endpoint: Record<string, unknown>, namespaceSelector?: Record<string, unknown>) {
  const spec = { selector: { matchLabels: { app: "api" } }, podMetricsEndpoints: [{ port: "ops", path: "/metrics", ...endpoint }], ...(namespaceSelector ? { namespaceSelector } : {}) };
  return object(API, "PodMonitor", "api", { metadata: { name: "api", namespace: "shop", labels: INCLUDE }, spec });
}

function serviceMonitor(endpoint: Record<string, unknown>) {
  return object(API, "ServiceMonitor", "redis", { spec: { selector: { matchLabels: { app: "redis" } }, endpoints: [{ port: "metrics", ...endpoint }] } });
}

const RUNBOOK = "https://github.com/example/shop/blob/main/docs/runbooks.md#apidown";

function alert(name: string, labels: Record<string, string> = { severity: "critical" }, annotations: Record<string, string> = { runbook_url: RUNBOOK }) {
  return { alert: name, expr: "up == 0", for: "5m", labels, annotations };
}

function prometheusRule(groups: object[]) {
  return object(API, "PrometheusRule", "shop", { spec: { groups } });
}

const dashboard = JSON.stringify({ title: "API", panels: [{ type: "timeseries", targets: [{ expr: "up" }] }] });

function configMap(name: string, labels: Record<string, string>, data: Record<string, string>) {
  return object("v1", "ConfigMap", name, { metadata: { name, namespace: "shop", labels }, data });
}

describe("monitoring policies", () => {
  describe("monitor-own-namespace", () => {
    itReports("monitor-own-namespace", [
      { name: "allows a monitor of its own namespace, named or by default", resources: [podMonitor({}, { matchNames: ["shop"] }), serviceMonitor({})], expected: [] },
      {
        name: "flags a monitor of every namespace",
        resources: [podMonitor({}, { any: true })],
        expected: ['spec.namespaceSelector.any is true, which selects targets in every namespace; remove it (the default is the monitor\'s own namespace "shop")'],
      },
      {
        name: "flags a monitor naming other namespaces",
        resources: [podMonitor({}, { matchNames: ["shop", "billing", "kube-system"] })],
        expected: ['spec.namespaceSelector.matchNames names "billing", "kube-system", not the monitor\'s own namespace "shop"; remove them and monitor each namespace from there'],
      },
    ]);

    it("reports the monitor by name", async () => {
      const { violations } = await report([podMonitor({}, { matchNames: ["billing"] })]);
      const found = violations.filter((violation) => violation.policyName === "monitor-own-namespace").map((violation) => violation.resourceName);
      assert.deepStrictEqual(found, ["api"]);
    });
  });

  describe("monitor-no-file-access", () => {
    itReports("monitor-no-file-access", [
      {
        name: "allows credentials from Secrets",
        resources: [serviceMonitor({ authorization: { credentials: { name: "scrape", key: "token" } }, tlsConfig: { ca: { secret: { name: "ca", key: "ca.crt" } }, keySecret: { name: "tls", key: "tls.key" } } })],
        expected: [],
      },
      {
        name: "flags the bearer token file of the Prometheus pod",
        resources: [serviceMonitor({ bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" })],
        expected: ['spec.endpoints[0].bearerTokenFile reads "/var/run/secrets/kubernetes.io/serviceaccount/token" from the Prometheus pod\'s filesystem; reference a Secret key in the monitor\'s namespace instead'],
      },
      {
        name: "flags TLS files, and file fields of a PodMonitor",
        resources: [serviceMonitor({ tlsConfig: { caFile: "/etc/ca.crt", keyFile: "/etc/tls.key" } }), podMonitor({ authorization: { credentialsFile: "/etc/token" } })],
        expected: [
          'spec.endpoints[0].tlsConfig.caFile reads "/etc/ca.crt" from the Prometheus pod\'s filesystem; reference a Secret key in the monitor\'s namespace instead',
          'spec.endpoints[0].tlsConfig.keyFile reads "/etc/tls.key" from the Prometheus pod\'s filesystem; reference a Secret key in the monitor\'s namespace instead',
          'spec.podMetricsEndpoints[0].authorization.credentialsFile reads "/etc/token" from the Prometheus pod\'s filesystem; reference a Secret key in the monitor\'s namespace instead',
        ],
      },
    ]);
  });

  describe("prometheusrule-valid", () => {
    const recording = { record: "job:http_requests:rate5m", expr: "sum by (job) (rate(http_requests_total[5m]))" };

    itReports("prometheusrule-valid", [
      { name: "allows distinct groups of alerting and recording rules", resources: [prometheusRule([{ name: "api", rules: [alert("ApiDown")] }, { name: "recorded", rules: [recording] }])], expected: [] },
      {
        name: "flags a repeated group name and an empty one",
        resources: [prometheusRule([{ name: "api", rules: [alert("ApiDown")] }, { name: "db", rules: [] }, { name: "api", rules: [alert("ApiSlow")] }, { name: "", rules: [] }])],
        expected: [
          'spec.groups[2].name "api" repeats the name of spec.groups[0]; Prometheus refuses a rule file with a repeated group name, so rename one',
          "spec.groups[3] has no name; name the group",
        ],
      },
      {
        name: "flags rules without an expression, and a rule that is neither or both kinds",
        resources: [
          prometheusRule([
            { name: "api", rules: [{ ...alert("ApiDown"), expr: " " }, { alert: "ApiSlow", labels: { severity: "warning" } }, { ...recording, alert: "Both" }, { expr: "up" }] },
          ]),
        ],
        expected: [
          'spec.groups[0].rules[0] (alert "ApiDown") has an empty expr; give the PromQL expression the rule evaluates',
          'spec.groups[0].rules[1] (alert "ApiSlow") has no expr; give the PromQL expression the rule evaluates',
          'spec.groups[0].rules[2] (alert "Both") sets both alert and record; a rule is one or the other',
          "spec.groups[0].rules[3] sets neither alert nor record; a rule is one or the other",
        ],
      },
    ]);
  });

  describe("prometheusrule-alert-labels", () => {
    itReports("prometheusrule-alert-labels", [
      {
        name: "allows alerts with a severity, an https runbook and their own namespace, and a severity from the group's labels",
        resources: [
          prometheusRule([
            { name: "api", rules: [alert("ApiDown", { severity: "critical", namespace: "shop" }), { record: "job:up:sum", expr: "sum by (job) (up)" }] },
            { name: "info", labels: { severity: "info" }, rules: [alert("Deployed", {})] },
          ]),
        ],
        expected: [],
      },
      {
        name: "flags a missing or unknown severity",
        resources: [prometheusRule([{ name: "api", rules: [alert("ApiDown", {}), alert("ApiSlow", { severity: "page" })] }])],
        expected: [
          'spec.groups[0].rules[0] (alert "ApiDown") has no severity label; set one of "critical", "warning", "info", which routing and inhibition match on',
          'spec.groups[0].rules[1] (alert "ApiSlow") has severity "page"; use one of "critical", "warning", "info", which routing and inhibition match on',
        ],
      },
      {
        name: "takes the allowed severities from config",
        config: { severities: ["page", "ticket"] },
        resources: [prometheusRule([{ name: "api", rules: [alert("ApiSlow", { severity: "page" }), alert("ApiDown")] }])],
        expected: ['spec.groups[0].rules[1] (alert "ApiDown") has severity "critical"; use one of "page", "ticket", which routing and inhibition match on'],
      },
      {
        name: "flags a missing runbook and one that is not https",
        resources: [prometheusRule([{ name: "api", rules: [alert("ApiDown", undefined, {}), alert("ApiSlow", undefined, { runbook_url: "http://wiki/ApiSlow" }), alert("ApiGone", undefined, { runbook_url: "docs/runbooks.md" })] }])],
        expected: [
          'spec.groups[0].rules[0] (alert "ApiDown") has no runbook_url annotation; link the runbook section that says what to do',
          'spec.groups[0].rules[1] (alert "ApiSlow") has runbook_url "http://wiki/ApiSlow", which is no https URL; link the runbook over https',
          'spec.groups[0].rules[2] (alert "ApiGone") has runbook_url "docs/runbooks.md", which is no https URL; link the runbook over https',
        ],
      },
      {
        name: "flags an alert labelled with another namespace",
        resources: [prometheusRule([{ name: "api", rules: [alert("ApiDown", { severity: "critical", namespace: "billing" })] }])],
        expected: ['spec.groups[0].rules[0] (alert "ApiDown") sets label namespace="billing", so the shared Alertmanager routes it as that namespace\'s alert; remove the label or set it to "shop"'],
      },
    ]);
  });

  describe("monitoring-selector-labels", () => {
    const config = { selectorLabels: INCLUDE, dashboardLabels: { grafana_dashboard: "1" } };

    itReports("monitoring-selector-labels", [
      {
        name: "allows labelled monitoring objects and dashboards, and ignores other ConfigMaps",
        config,
        resources: [podMonitor({}), configMap("dashboard-api", { grafana_dashboard: "1" }, { "api.json": dashboard }), configMap("settings", {}, { "settings.json": "{}" })],
        expected: [],
      },
      { name: "checks nothing without configured labels", resources: [serviceMonitor({}), configMap("dashboard-api", {}, { "api.json": dashboard })], expected: [] },
      {
        name: "flags a monitoring object and a dashboard without their labels",
        config,
        resources: [serviceMonitor({}), configMap("dashboard-api", { grafana_dashboard: "0" }, { "api.json": dashboard })],
        expected: [
          'metadata.labels lack monitoring.example.com/include="true", so the cluster\'s monitoring ignores this object; add it',
          'metadata.labels lack grafana_dashboard="1", so Grafana\'s sidecar does not load this dashboard; add it',
        ],
      },
    ]);

    it("warns by default, and the stacks select by the platform's labels (mandatory in staging and prod)", async () => {
      const { violations } = await report([serviceMonitor({})], { "monitoring-selector-labels": { selectorLabels: INCLUDE } });
      assert.deepStrictEqual(violations.filter((violation) => violation.policyName === "monitoring-selector-labels").map((violation) => violation.enforcementLevel), ["advisory"]);
      for (const stack of ["dev", "test", "staging", "prod"]) {
        const entry = resolvePolicyConfig(loadPolicyConfig(stack)).get("monitoring-selector-labels");
        const { selectorLabels, dashboardLabels } = entry?.properties ?? {};
        assert.deepStrictEqual({ selectorLabels, dashboardLabels }, { selectorLabels: { [MONITORING.includeLabel]: "true" }, dashboardLabels: { [MONITORING.dashboardLabel]: "1" } }, stack);
        assert.strictEqual(entry?.enforcementLevel, stack === "staging" || stack === "prod" ? "mandatory" : "advisory", stack);
      }
    });
  });
});
