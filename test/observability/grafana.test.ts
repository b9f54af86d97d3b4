import assert from "node:assert/strict";
import { stringify } from "yaml";
import { PROMETHEUS_DATASOURCE_UID, renderGrafanaDashboards } from "../../infra/observability";
import { expressions, parseDashboards, type Dashboard } from "./dashboards";
import { metricNames, unscopedSelectors } from "./promql";
import { run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, sampleSettings } from "./support";

function overlaps(a: Dashboard["panels"][number]["gridPos"], b: Dashboard["panels"][number]["gridPos"]): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function metricsOf(dashboard: Dashboard): Set<string> {
  return new Set(expressions(dashboard).flatMap((expr) => [...metricNames(expr)]));
}

describe("observability: Grafana dashboards", () => {
  before(() => requireTool("promtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const dashboards = parseDashboards(renderGrafanaDashboards(settings));

      it("names each dashboard by a valid ConfigMap key the sidecar loads (ending in .json)", () => {
        for (const file of Object.keys(dashboards)) assert.match(file, /^[-._a-zA-Z0-9]+\.json$/);
      });

      it("selects only the stack's namespace in every panel query", () => {
        for (const [file, dashboard] of Object.entries(dashboards)) {
          for (const expr of expressions(dashboard)) assert.deepEqual(unscopedSelectors(expr, settings.namespace), [], `${file}: ${expr}`);
        }
      });

      it("has a service, a PostgreSQL and Redis, and a backups dashboard with the panels the issue asks for", () => {
        const byUid = Object.fromEntries(Object.values(dashboards).map((d) => [d.uid, d]));
        assert.deepEqual(Object.keys(byUid).sort(), ["fp-backups", "fp-datastores", "fp-service"]);
        const has = (uid: string, metrics: string[]) => metrics.forEach((m) => assert.ok(metricsOf(byUid[uid]).has(m), `${uid} lacks ${m}`));
        has("fp-service", [
          "container_cpu_usage_seconds_total",
          "container_memory_working_set_bytes",
          "http_requests_total",
          "http_request_duration_seconds_bucket",
          "cache_hits_total",
          "cache_misses_total",
          "predictions_total",
          "prediction_failures_total",
          "model_age_seconds",
        ]);
        has("fp-datastores", [
          "pg_up",
          "pg_stat_activity_count",
          "redis_up",
          "redis_memory_used_bytes",
          "redis_evicted_keys_total",
          "kubelet_volume_stats_used_bytes",
          "kubelet_volume_stats_inodes_used",
        ]);
        has("fp-backups", ["backup_last_success_timestamp_seconds", "backup_verify_success", "backup_size_bytes"]);
        const percentiles = expressions(byUid["fp-service"]).filter((e) => e.startsWith("histogram_quantile"));
        for (const q of ["0.5", "0.95", "0.99"]) assert.ok(percentiles.some((e) => e.startsWith(`histogram_quantile(${q},`)), `p${q}`);
        assert.equal(metricsOf(byUid["fp-datastores"]).has("cnpg_pg_replication_lag"), settings.postgresInstances > 1);
        assert.equal(
          metricsOf(byUid["fp-datastores"]).has("barman_cloud_cloudnative_pg_io_last_available_backup_timestamp"),
          settings.continuousBackups,
        );
      });

      it("gives every panel a unique id, a place of its own on the grid and the provisioned datasource", () => {
        for (const [file, dashboard] of Object.entries(dashboards)) {
          const ids = dashboard.panels.map((p) => p.id);
          assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
          dashboard.panels.forEach((a, i) => {
            assert.ok(a.gridPos.x + a.gridPos.w <= 24, `${file}: ${a.title} is wider than the grid`);
            dashboard.panels.slice(i + 1).forEach((b) => assert.ok(!overlaps(a.gridPos, b.gridPos), `${file}: ${a.title} overlaps ${b.title}`));
            if (a.type === "row") return;
            assert.ok((a.targets ?? []).length > 0, `${file}: ${a.title} has no query`);
            for (const target of [a.datasource, ...(a.targets ?? []).map((t) => t.datasource)]) {
              assert.deepEqual(target, { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID }, `${file}: ${a.title}`);
            }
          });
        }
      });

      it("has only panel queries that PromQL parses (promtool check rules on a throwaway recording rule per query)", async () => {
        const exprs = Object.values(dashboards).flatMap(expressions);
        const rules = exprs.map((expr, i) => ({ record: `dashboard_query_${i}`, expr }));
        const dir = new TempDir("fp-observability-");
        try {
          const file = dir.write("dashboard-queries.yml", stringify({ groups: [{ name: "dashboard-queries", rules }] }));
          const output = await run("promtool", ["check", "rules", file]);
          assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
        } finally {
          dir.remove();
        }
      });
    });
  }
});
