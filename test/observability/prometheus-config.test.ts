import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { jobs, metricsPorts, renderAlertRules, renderPrometheusConfig } from "../../infra/observability";
import { RunningPrometheus, withFileDiscovery, type PrometheusConfig, type ScrapeConfig, type SimulatedPod } from "./prometheus-harness";
import { run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, RULES_FILE, sampleSettings } from "./support";

/** Upstream Prometheus' kubernetes_sd_config fields this repository uses; unknown keys fail like in Prometheus. */
const kubernetesSdConfig = z.strictObject({
  role: z.enum(["pod", "endpoints", "endpointslice", "service", "node", "ingress"]),
  namespaces: z.strictObject({ names: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)).min(1) }).optional(),
});

function rendered(settings: (typeof sampleSettings)[string]): PrometheusConfig {
  return parse(renderPrometheusConfig(settings)) as PrometheusConfig;
}

function job(config: PrometheusConfig, name: string): ScrapeConfig {
  const found = config.scrape_configs.find((j) => j.job_name === name);
  assert.ok(found, `no scrape job ${name}`);
  return found;
}

/**
 * What `promtool check config` can check here: Kubernetes discovery replaced (Debian's build lacks it), and the
 * in-cluster rules directory pointed at the temp directory.
 */
function checkableConfig(config: PrometheusConfig, dir: TempDir): PrometheusConfig {
  return { ...withFileDiscovery(config, dir), rule_files: [`${dir.path}/*.rules.yml`] };
}

describe("observability: Prometheus configuration", () => {
  before(() => requireTool("promtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const config = rendered(settings);

      it("passes promtool check config, with its rules", async () => {
        const dir = new TempDir("fp-observability-");
        try {
          dir.write(RULES_FILE, renderAlertRules(settings));
          const file = dir.write("prometheus.yml", stringify(checkableConfig(config, dir)));
          const output = await run("promtool", ["check", "config", file]);
          assert.match(output, /SUCCESS: 1 rule files found/);
        } finally {
          dir.remove();
        }
      });

      it("discovers pods only, in the stack's namespace and the ingress controller's, as upstream Prometheus accepts", () => {
        const discovered = config.scrape_configs.filter((j) => "kubernetes_sd_configs" in j);
        assert.deepEqual(discovered.map((j) => j.job_name).sort(), [
          jobs.service,
          jobs.ingressNginx,
          jobs.kubeStateMetrics,
          jobs.postgresExporter,
          jobs.cloudnativePg,
          jobs.pgbouncer,
          jobs.redisExporter,
        ].sort());
        for (const scrape of discovered) {
          const sd = z.array(kubernetesSdConfig).length(1).parse(scrape.kubernetes_sd_configs)[0];
          // The Rbac component grants list and watch on pods, and nothing cluster-wide.
          assert.equal(sd.role, "pod", scrape.job_name);
          const namespace = scrape.job_name === jobs.ingressNginx ? settings.ingressControllerNamespace : settings.namespace;
          assert.deepEqual(sd.namespaces?.names, [namespace], scrape.job_name);
        }
      });

      it("reaches nothing through the API server and needs no service account token", () => {
        const text = renderPrometheusConfig(settings);
        assert.doesNotMatch(text, /serviceaccount|credentials_file|kubernetes\.default|role: node/);
      });

      it("scrapes each pod job on the port infra/observability exports for the NetworkPolicies", () => {
        const portOf = (name: string) =>
          (job(config, name).relabel_configs as { source_labels?: string[]; regex?: string }[]).find(
            (r) => r.source_labels?.[0] === "__meta_kubernetes_pod_container_port_number",
          )?.regex;
        assert.equal(portOf(jobs.service), String(metricsPorts.service));
        assert.equal(portOf(jobs.postgresExporter), String(metricsPorts.postgresExporter));
        assert.equal(portOf(jobs.redisExporter), String(metricsPorts.redisExporter));
        assert.equal(portOf(jobs.kubeStateMetrics), String(metricsPorts.kubeStateMetrics));
        assert.equal(portOf(jobs.ingressNginx), String(metricsPorts.ingressController));
      });

      it("uses the stack's intervals, labels alerts with the environment and reaches Alertmanager and the Pushgateway", () => {
        const global = config.global as Record<string, unknown>;
        assert.equal(global.scrape_interval, settings.scrapeInterval);
        assert.equal(global.evaluation_interval, settings.evaluationInterval);
        assert.deepEqual(global.external_labels, { environment: settings.environment });
        assert.deepEqual(config.rule_files, ["/etc/prometheus/rules/*.yml"]);
        const am = new URL(settings.alertmanagerUrl);
        const alertmanager = (config.alerting as { alertmanagers: Record<string, unknown>[] }).alertmanagers[0];
        assert.deepEqual(alertmanager.static_configs, [{ targets: [`${am.hostname}:${am.port}`] }]);
        assert.equal(alertmanager.path_prefix, am.pathname.replace(/\/$/, "") || "/");
        const pushgateway = job(config, jobs.pushgateway);
        const pg = new URL(settings.pushgatewayUrl);
        assert.equal(pushgateway.honor_labels, true);
        assert.equal(pushgateway.scheme, pg.protocol.replace(":", ""));
        assert.equal(pushgateway.metrics_path, `${pg.pathname.replace(/\/$/, "")}/metrics`);
        assert.deepEqual(pushgateway.static_configs, [{ targets: [`${pg.hostname}:${pg.port || (pg.protocol === "https:" ? 443 : 80)}`] }]);
      });
    });
  }

  describe("relabeling, run by a real Prometheus against simulated pods", function () {
    this.timeout(60_000);
    const settings = sampleSettings["prod (defaults, three instances, continuous backups)"];
    const ns = settings.namespace;
    let dir: TempDir;
    let exporter: Server;
    let prometheus: RunningPrometheus;

    /** One endpoint standing in for every pod: it serves series for this namespace, another and none. */
    function fakeMetrics(): string {
      return [
        `nginx_ingress_controller_requests{namespace="${ns}",ingress="football-prediction",status="200"} 5`,
        `nginx_ingress_controller_requests{namespace="other-team",ingress="other",status="200"} 7`,
        `nginx_ingress_controller_nginx_process_connections{state="active"} 3`,
        `kube_pod_container_status_restarts_total{namespace="${ns}",pod="api-a",container="api"} 1`,
        "",
      ].join("\n");
    }

    before(async () => {
      requireTool("prometheus");
      dir = new TempDir("fp-observability-");
      exporter = createServer((_, res) => res.end(fakeMetrics())).listen(0, "127.0.0.1");
      await once(exporter, "listening");
      const address = exporter.address();
      assert.ok(address !== null && typeof address === "object");
      const at = `127.0.0.1:${address.port}`;
      const app = (component: string) => ({ "app.kubernetes.io/name": "football-prediction", "app.kubernetes.io/component": component });
      const pod = (name: string, labels: Record<string, string>, port: number, extra: Partial<SimulatedPod> = {}): SimulatedPod => ({
        address: at,
        namespace: ns,
        name,
        labels,
        port,
        ...extra,
      });
      const pods: Record<string, SimulatedPod[]> = {
        [jobs.service]: [
          pod("api-a", { ...app("api"), "app.kubernetes.io/version": "1.2.3" }, 8001),
          pod("worker-a", app("worker"), 8001),
          pod("migrate-a", app("migration"), 8001),
          // The API's own port: the pod lists it too, and it serves no metrics.
          pod("api-a", { ...app("api"), "app.kubernetes.io/version": "1.2.3" }, 8000),
          pod("api-other-port", app("api"), 9999),
          pod("api-evicted", app("api"), 8001, { phase: "Failed" }),
        ],
        [jobs.postgresExporter]: [
          pod("postgres-exporter-a", { "app.kubernetes.io/name": "postgres-exporter", "app.kubernetes.io/component": "metrics-exporter" }, 9187),
          pod("postgresql-0", { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/component": "database" }, 9187),
        ],
        [jobs.ingressNginx]: [
          pod("ingress-nginx-controller-a", { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" }, 10254, {
            namespace: settings.ingressControllerNamespace,
          }),
        ],
        [jobs.kubeStateMetrics]: [
          pod("kube-state-metrics-a", { "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/component": "metrics-exporter" }, 8080),
          // Its telemetry port serves kube-state-metrics' own health, not the objects' metrics.
          pod("kube-state-metrics-a", { "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/component": "metrics-exporter" }, 8081),
        ],
      };
      const config = withFileDiscovery(rendered(settings), dir, pods);
      prometheus = await RunningPrometheus.start(dir, { ...config, global: { ...(config.global as object), scrape_interval: "1s" } });
      await prometheus.waitFor("the first scrapes", async () => (await prometheus.query('up{job="kube-state-metrics"} == 1')).length > 0);
      await prometheus.waitFor("the ingress scrape", async () => (await prometheus.query('up{job="ingress-nginx"} == 1')).length > 0);
    });

    after(async () => {
      await prometheus?.stop();
      exporter?.close();
      dir?.remove();
    });

    interface Targets {
      activeTargets: { labels: Record<string, string> }[];
    }

    it("scrapes the API and worker pods on their ops port 8001 with the labels the rules use, and nothing else", async () => {
      const targets = await prometheus.api<Targets>("/api/v1/targets?state=active");
      const service = targets.activeTargets.filter((t) => t.labels.job === jobs.service).map((t) => t.labels);
      assert.deepEqual(
        service.map(({ component, pod, namespace, version }) => ({ component, pod, namespace, version })).sort((a, b) => a.pod.localeCompare(b.pod)),
        [
          { component: "api", pod: "api-a", namespace: ns, version: "1.2.3" },
          { component: "worker", pod: "worker-a", namespace: ns, version: undefined },
        ],
      );
    });

    it("finds the exporters by name", async () => {
      const targets = await prometheus.api<Targets>("/api/v1/targets?state=active");
      const pods = targets.activeTargets.filter((t) => t.labels.job === jobs.postgresExporter).map((t) => t.labels.pod);
      assert.deepEqual(pods, ["postgres-exporter-a"]);
    });

    it("keeps the ingress controller's series of this namespace and its own, and drops other namespaces'", async () => {
      const requests = await prometheus.query(`nginx_ingress_controller_requests{job="${jobs.ingressNginx}"}`);
      assert.deepEqual(requests.map((r) => r.metric.namespace), [ns]);
      const own = await prometheus.query(`nginx_ingress_controller_nginx_process_connections{job="${jobs.ingressNginx}"}`);
      assert.equal(own.length, 1);
    });

    it("scrapes the stack's kube-state-metrics on its metrics port, keeping the pod labels of the series", async () => {
      const targets = await prometheus.api<Targets>("/api/v1/targets?state=active");
      const ksm = targets.activeTargets.filter((t) => t.labels.job === jobs.kubeStateMetrics);
      assert.equal(ksm.length, 1);
      const restarts = await prometheus.query(`kube_pod_container_status_restarts_total{job="${jobs.kubeStateMetrics}"}`);
      assert.deepEqual(restarts.map((r) => [r.metric.namespace, r.metric.pod, r.metric.container]), [[ns, "api-a", "api"]]);
    });
  });
});
