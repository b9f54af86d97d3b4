import assert from "node:assert/strict";
import { alertGroups, renderGrafanaDashboards } from "../../infra/observability";
import { expressions, parseDashboards } from "./dashboards";
import { allowedMetrics, documentedMetrics } from "./metric-catalogue";
import { metricNames, unscopedSelectors } from "./promql";
import { sampleSettings } from "./support";

describe("observability: metric names", () => {
  describe("the PromQL metric scanner", () => {
    it("finds metrics and skips functions, keywords, labels, grouping, durations and numbers", () => {
      const expr =
        'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="a",route=~"x|y"}[5m])))' +
        ' > 0.5 and on (pod) (time() - backup_last_success_timestamp_seconds offset 1h) or vector(0) > bool 1e3';
      assert.deepEqual([...metricNames(expr)].sort(), ["backup_last_success_timestamp_seconds", "http_request_duration_seconds_bucket"]);
    });

    it("reports the selectors that do not name the namespace, matchers in strings and grouping lists aside", () => {
      const expr =
        'sum by (namespace) (rate(a_total{job="x",namespace="ns"}[5m])) / on (namespace) b{namespace="other"}' +
        ' or c or {__name__="d",route="namespace=\\"ns\\""} or absent(e{namespace="ns",pod=~"p,q"})';
      assert.deepEqual(unscopedSelectors(expr, "ns"), ['b{namespace="other"}', "c{}", '{__name__="d",route="namespace=\\"ns\\""}']);
    });

    it("reports a misspelt metric, so the allow-list catches it", () => {
      const names = [...metricNames('sum(rate(http_request_total{job="football-prediction"}[5m]))')];
      assert.deepEqual(names, ["http_request_total"]);
      assert.ok(!allowedMetrics().has(names[0]));
    });
  });

  it("reads the service's and the backups' metrics from docs/service-interface.md", () => {
    const documented = documentedMetrics();
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "cache_misses_total",
      "model_age_seconds",
      "backup_verify_success",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      assert.ok(documented.has(name), name);
    }
    assert.ok(!documented.has("http_request_duration_seconds"), "a histogram is queried through its series");
  });

  for (const [name, settings] of Object.entries(sampleSettings)) {
    const sources = [
      ...alertGroups(settings).flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
      ...Object.entries(parseDashboards(renderGrafanaDashboards(settings))).flatMap(([file, d]) =>
        expressions(d).map((expr) => ({ where: file, expr })),
      ),
    ];

    it(`${name}: rules and dashboards query only documented and exporter metrics`, () => {
      const allowed = allowedMetrics();
      const unknown = sources.flatMap(({ where, expr }) => [...metricNames(expr)].filter((m) => !allowed.has(m)).map((m) => `${m} (${where})`));
      assert.deepEqual(unknown, []);
    });
  }
});
