import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { stringify } from "yaml";
import { z } from "zod";
import { CLUSTER_LABEL } from "../../infra/components/database/names";
import { objectLabels, workloads, type Workload } from "../../infra/labels";
import { OPS_PORT } from "../../infra/ports";
import { jobs, metricsPortNames, metricsPorts, monitors, operatorScrapeConfigs, renderAlertRules, type Monitor } from "../../infra/observability";
import type { ObservabilitySettings } from "../../infra/observability/settings";
import { containersOf, podTemplates, rendered } from "../infra/helpers";
import { assertValidAgainstCrds } from "./crdCheck";
import { RunningPrometheus, withFileDiscovery, type PrometheusConfig, type SimulatedPod } from "./prometheus-harness";
import { run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, RULES_FILE, sampleSettings } from "./support";

/** Upstream Prometheus' kubernetes_sd_config fields the operator writes here; unknown keys fail like in Prometheus. */
const kubernetesSdConfig = z.strictObject({
  role: z.literal("pod"),
  namespaces: z.strictObject({ names: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)).min(1) }),
});

/** The operator's job name for a PodMonitor's first endpoint (promcfg.go: `podMonitor/<ns>/<name>/<i>`). */
function jobName(s: ObservabilitySettings, monitor: string): string {
  return `podMonitor/${s.namespace}/${monitor}/0`;
}

/** The scrape configuration a Prometheus would run: the derived jobs, the stack's rules beside them. */
function derivedConfig(s: ObservabilitySettings): PrometheusConfig {
  return {
    global: { scrape_interval: s.scrapeInterval, evaluation_interval: s.evaluationInterval },
    scrape_configs: operatorScrapeConfigs(monitors(s), s),
  };
}

/** Whether a label selector (matchLabels and `In` expressions, all the monitors use) selects these labels. */
function selects(selector: Monitor["spec"]["selector"], labels: Record<string, string>): boolean {
  return (
    Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every((e) => e.operator === "In" && (e.values ?? []).includes(labels[e.key]))
  );
}

describe("observability: monitors and the scrape configuration the operator derives", () => {
  before(() => requireTool("promtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const podMonitors = monitors(settings);
      const scrapeConfigs = operatorScrapeConfigs(podMonitors, settings);

      it("renders PodMonitors that pass the Prometheus Operator's CRD schema", () => {
        assertValidAgainstCrds(
          podMonitors.map((m) => ({
            apiVersion: "monitoring.coreos.com/v1",
            kind: m.kind,
            metadata: { name: m.name, namespace: settings.namespace },
            spec: m.spec,
          })),
        );
      });

      it("passes promtool check config with the stack's rules (pod discovery replayed from files)", async () => {
        const dir = new TempDir("fp-observability-");
        try {
          dir.write(RULES_FILE, renderAlertRules(settings));
          const config = { ...withFileDiscovery(derivedConfig(settings), dir), rule_files: [`${dir.path}/*.rules.yml`] };
          const output = await run("promtool", ["check", "config", dir.write("prometheus.yml", stringify(config))]);
          assert.match(output, /SUCCESS: 1 rule files found/);
        } finally {
          dir.remove();
        }
      });

      it("derives one pod-discovery job per monitor, in the stack's namespace only, at the stack's interval", () => {
        assert.deepEqual(
          scrapeConfigs.map((c) => c.job_name),
          [jobs.cloudnativePg, jobs.service, jobs.pgbouncer, jobs.postgresExporter, jobs.redisExporter].map((m) => jobName(settings, m)),
        );
        for (const config of scrapeConfigs) {
          const sd = z.array(kubernetesSdConfig).length(1).parse(config.kubernetes_sd_configs)[0];
          assert.deepEqual(sd.namespaces.names, [settings.namespace], config.job_name);
          assert.equal(config.scrape_interval, settings.scrapeInterval);
          assert.equal(config.metrics_path, "/metrics");
          assert.equal(config.honor_labels, false, "a pod cannot set its own job or namespace");
        }
      });

      it("reaches nothing but pods in the namespace and needs no credentials", () => {
        assert.doesNotMatch(stringify(scrapeConfigs), /bearer_token|basic_auth|authorization|credentials|api_server|role: (node|endpoints)/);
      });
    });
  }

  it("selects the pods the prod stack renders for the service and the exporters, each naming the monitored port", async function () {
    this.timeout(180_000);
    const stack = await rendered("prod");
    const ownPods: string[] = [jobs.service, jobs.postgresExporter, jobs.redisExporter];
    for (const monitor of monitors(sampleSettings["prod (defaults, three instances, continuous backups)"]).filter((m) => ownPods.includes(m.name))) {
      const port = monitor.spec.podMetricsEndpoints[0].port;
      const selected = podTemplates(stack).filter((t) => selects(monitor.spec.selector, t.labels));
      assert.ok(selected.length > 0, `${monitor.name} selects no pod the stack renders`);
      for (const template of selected) {
        const named = containersOf(template.spec).some((c) => (c.ports ?? []).some((p: { name?: string }) => p.name === port));
        assert.ok(named, `${template.owner}: no container port named ${port}, which the ${monitor.name} monitor scrapes`);
      }
    }
  });

  describe("relabeling, run by a real Prometheus against simulated pods", function () {
    this.timeout(60_000);
    const settings = sampleSettings["prod (defaults, three instances, continuous backups)"];
    const ns = settings.namespace;
    const instance = settings.environment;
    let dir: TempDir;
    let exporter: Server;
    let prometheus: RunningPrometheus;

    interface Targets {
      activeTargets: { labels: Record<string, string> }[];
    }

    async function targetsOf(monitor: string): Promise<Record<string, string>[]> {
      const targets = await prometheus.api<Targets>("/api/v1/targets?state=active");
      return targets.activeTargets
        .map((t) => t.labels)
        .filter((labels) => labels.job === monitor)
        .sort((a, b) => a.pod.localeCompare(b.pod));
    }

    before(async () => {
      requireTool("prometheus");
      dir = new TempDir("fp-observability-");
      exporter = createServer((_, res) => res.end("fake_up 1\n")).listen(0, "127.0.0.1");
      await once(exporter, "listening");
      const address = exporter.address();
      assert.ok(address !== null && typeof address === "object");
      // One endpoint standing in for every pod: the test is about which pods become targets, and their labels.
      const pod = (name: string, labels: Record<string, string>, container: string, portName: string, port: number, phase?: string): SimulatedPod => ({
        address: `127.0.0.1:${address.port}`,
        namespace: ns,
        name,
        labels,
        container,
        portName,
        port,
        phase,
      });
      const app = (w: Workload, version?: string) => objectLabels(instance, w, version);
      const cnpg = (role: string, w: Workload) => ({ [CLUSTER_LABEL]: settings.postgresCluster, "cnpg.io/podRole": role, ...objectLabels(instance, w) });
      const servicePods = [
        pod("api-a", app(workloads.api, "1.2.3"), "api", metricsPortNames.service, OPS_PORT),
        // The API's own port is on the same pod; it serves no metrics.
        pod("api-a", app(workloads.api, "1.2.3"), "api", "http", 8000),
        pod("worker-a", app(workloads.worker, "1.2.3"), "worker", metricsPortNames.service, OPS_PORT),
        pod("web-a", app(workloads.web, "1.2.3"), "web", metricsPortNames.service, OPS_PORT),
        pod("migrate-a", app(workloads.migration, "1.2.3"), "migrate", metricsPortNames.service, OPS_PORT),
        pod("api-evicted", app(workloads.api, "1.2.3"), "api", metricsPortNames.service, OPS_PORT, "Failed"),
        pod("worker-done", app(workloads.worker, "1.2.3"), "worker", metricsPortNames.service, OPS_PORT, "Succeeded"),
      ];
      const databasePods = [
        pod("postgres-1", cnpg("instance", workloads.postgres), "postgres", metricsPortNames.cloudnativePg, metricsPorts.cloudnativePg),
        pod("postgres-2", cnpg("instance", workloads.postgres), "postgres", metricsPortNames.cloudnativePg, metricsPorts.cloudnativePg),
        pod("postgres-pooler-rw-a", cnpg("pooler", workloads.pooler), "pgbouncer", metricsPortNames.pgbouncer, metricsPorts.pgbouncer),
        pod("other-1", { [CLUSTER_LABEL]: "other", "cnpg.io/podRole": "instance" }, "postgres", "metrics", metricsPorts.cloudnativePg),
      ];
      const exporters = [
        pod("postgres-exporter-a", app(workloads.postgresExporter), "postgres-exporter", metricsPortNames.postgresExporter, metricsPorts.postgresExporter),
        pod("redis-exporter-a", app(workloads.redisExporter), "redis-exporter", metricsPortNames.redisExporter, metricsPorts.redisExporter),
      ];
      // Kubernetes discovery offers every job every pod of the namespace; the relabeling picks.
      const every = [...servicePods, ...databasePods, ...exporters];
      const derived = derivedConfig(settings);
      const pods = Object.fromEntries(derived.scrape_configs.map((c) => [c.job_name, every]));
      const config = withFileDiscovery(derived, dir, pods);
      prometheus = await RunningPrometheus.start(dir, {
        ...config,
        scrape_configs: config.scrape_configs.map((c) => ({ ...c, scrape_interval: "1s" })),
      });
      await prometheus.waitFor("the targets", async () => (await targetsOf(jobs.redisExporter)).length > 0);
    });

    after(async () => {
      await prometheus?.stop();
      exporter?.close();
      dir?.remove();
    });

    it("scrapes the API, worker and page pods on their ops port, with the labels the rules use, and nothing else", async () => {
      const labels = await targetsOf(jobs.service);
      assert.deepEqual(
        labels.map(({ pod, container, component, version, namespace, endpoint }) => ({ pod, container, component, version, namespace, endpoint })),
        [
          { pod: "api-a", container: "api", component: "api", version: "1.2.3", namespace: ns, endpoint: "ops" },
          { pod: "web-a", container: "web", component: "web", version: "1.2.3", namespace: ns, endpoint: "ops" },
          { pod: "worker-a", container: "worker", component: "worker", version: "1.2.3", namespace: ns, endpoint: "ops" },
        ],
      );
    });

    it("scrapes this Cluster's instances apart from its Pooler's PgBouncers", async () => {
      assert.deepEqual((await targetsOf(jobs.cloudnativePg)).map((l) => [l.pod, l.component]), [
        ["postgres-1", workloads.postgres.component],
        ["postgres-2", workloads.postgres.component],
      ]);
      assert.deepEqual((await targetsOf(jobs.pgbouncer)).map((l) => l.pod), ["postgres-pooler-rw-a"]);
    });

    it("finds each exporter by its workload labels", async () => {
      assert.deepEqual((await targetsOf(jobs.postgresExporter)).map((l) => l.pod), ["postgres-exporter-a"]);
      assert.deepEqual((await targetsOf(jobs.redisExporter)).map((l) => l.pod), ["redis-exporter-a"]);
    });
  });
});
