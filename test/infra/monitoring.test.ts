import assert from "node:assert/strict";
import { stringify } from "yaml";
import { observabilitySettings } from "../../infra/components/monitoring";
import { parseSettings, PROJECT } from "../../infra/config";
import { prometheusRuleSpec } from "../../infra/observability";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { loadStackConfig } from "../../infra/offline/stackConfig";
import { MONITORING } from "../../platform/outputs";
import { run } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { findObject, labelSelectorMatches, objects, objectsOfKind, podTemplates, rendered, type K8sObject } from "./helpers";

/** The stacks with monitoring on. */
const MONITORED = ["test", "staging", "prod"] as const;
const OPERATOR_KINDS = ["PrometheusRule", "ServiceMonitor", "PodMonitor", "AlertmanagerConfig"];
/** What the cluster runs for every environment now; the stack must not run its own. */
const CLUSTER_WORKLOADS = ["prometheus", "alertmanager", "grafana", "kube-state-metrics", "pushgateway"];

function inNamespace(stack: RenderedStack, namespace: string): K8sObject[] {
  return objects(stack)
    .map((m) => m.object as K8sObject)
    .filter((o) => o.metadata?.namespace === namespace);
}

/** Every claim the stack's pods mount: standalone claims and those of StatefulSet volumeClaimTemplates. */
function claimNames(stack: RenderedStack, namespace: string): string[] {
  return inNamespace(stack, namespace).flatMap((o) => {
    if (o.kind === "PersistentVolumeClaim") return [o.metadata.name];
    // CloudNativePG names each instance's claims <cluster>-<serial> and <cluster>-<serial>-wal.
    if (o.kind === "Cluster") return [`${o.metadata.name}-1`, `${o.metadata.name}-12`, `${o.metadata.name}-3-wal`];
    if (o.kind !== "StatefulSet") return [];
    const ordinals = [...Array(o.spec.replicas ?? 1).keys()];
    return (o.spec.volumeClaimTemplates ?? []).flatMap((t: K8sObject) => ordinals.map((i) => `${t.metadata.name}-${o.metadata.name}-${i}`));
  });
}

/**
 * The labels CloudNativePG gives the pods it makes for a Cluster's instances and a Pooler (cloudnative-pg
 * pkg/specs/pgbouncer/deployments.go: cnpg.io/cluster, cnpg.io/poolerName, cnpg.io/podRole).
 */
function operatorPodLabels(stack: RenderedStack): Array<{ labels: Record<string, string>; ports: string[] }> {
  return [
    ...objectsOfKind(stack, "Cluster").map((c) => ({
      labels: { "cnpg.io/cluster": c.metadata.name, "cnpg.io/podRole": "instance", ...c.spec.inheritedMetadata?.labels },
      ports: ["postgresql", "metrics", "status"],
    })),
    ...objectsOfKind(stack, "Pooler").map((p) => ({
      labels: { "cnpg.io/cluster": p.spec.cluster.name, "cnpg.io/poolerName": p.metadata.name, "cnpg.io/podRole": "pooler" },
      ports: ["pgbouncer", "metrics"],
    })),
  ];
}

/** The pods a monitor's selector picks, with the container port names they declare. */
function selectedPods(stack: RenderedStack, monitor: K8sObject): Array<{ labels: Record<string, string>; ports: string[] }> {
  const selector = monitor.spec.selector as K8sObject;
  if (monitor.kind === "PodMonitor") {
    const templates = podTemplates(stack).map((t) => ({
      labels: t.labels,
      ports: (t.spec.containers as K8sObject[]).flatMap((c) => (c.ports ?? []).map((p: K8sObject) => p.name as string)),
    }));
    return [...templates, ...operatorPodLabels(stack)].filter((pod) => labelSelectorMatches(selector, pod.labels));
  }
  return objectsOfKind(stack, "Service")
    .filter((service) => labelSelectorMatches(selector, service.metadata.labels ?? {}))
    .map((service) => ({ labels: service.metadata.labels, ports: service.spec.ports.map((p: K8sObject) => p.name as string) }));
}

describe("infrastructure: monitoring as the cluster's Prometheus Operator objects", function () {
  this.timeout(120_000);

  for (const stack of MONITORED) {
    const ns = `football-prediction-${stack}`;

    describe(stack, () => {
      let r: RenderedStack;
      before(async () => {
        r = await rendered(stack);
      });

      it("renders a PrometheusRule, monitors and an AlertmanagerConfig, all carrying the platform's include label", () => {
        for (const kind of ["PrometheusRule", "AlertmanagerConfig"]) assert.equal(objectsOfKind(r, kind).length, 1, kind);
        assert.ok(objectsOfKind(r, "PodMonitor").length + objectsOfKind(r, "ServiceMonitor").length >= 5);
        for (const object of OPERATOR_KINDS.flatMap((kind) => objectsOfKind(r, kind))) {
          assert.equal(object.metadata.namespace, ns, `${object.kind} ${object.metadata.name}`);
          assert.equal(object.metadata.labels[MONITORING.includeLabel], "true", `${object.kind} ${object.metadata.name}`);
        }
      });

      it("renders what prometheusRuleSpec (tested case for case in test/observability) makes of its settings, and promtool accepts the groups", async () => {
        const { values } = loadStackConfig(stack);
        const settings = parseSettings(stack, (key) => values[`${PROJECT}:${key}`]);
        assert.ok(settings.monitoring.enabled);
        const rule = findObject(r, "PrometheusRule", "football-prediction");
        const tested = prometheusRuleSpec(observabilitySettings(settings, settings.monitoring));
        assert.deepEqual(rule.spec, JSON.parse(JSON.stringify(tested)));
        const dir = new TempDir("fp-rules-");
        try {
          dir.write("rules.yml", stringify({ groups: rule.spec.groups }, { lineWidth: 0 }));
          const rules = rule.spec.groups.flatMap((g: K8sObject) => g.rules).length;
          assert.match(await run("promtool", ["check", "rules", "rules.yml"], { cwd: dir.path }), new RegExp(`SUCCESS: ${rules} rules found`));
        } finally {
          dir.remove();
        }
      });

      it("runs no Prometheus, Alertmanager, Grafana, kube-state-metrics or Pushgateway of its own, and no Ingress", () => {
        const names = inNamespace(r, ns)
          .filter((o) => ["Deployment", "StatefulSet"].includes(o.kind))
          .map((o) => o.metadata.name);
        for (const workload of CLUSTER_WORKLOADS) assert.ok(!names.includes(workload), workload);
        assert.deepEqual(objectsOfKind(r, "Ingress"), []);
        assert.deepEqual(objectsOfKind(r, "Role").map((role) => role.metadata.name), [`${ns}-pulumi-preview`]);
      });

      it("points every monitor at pods the stack runs, on a port those pods name, in its own namespace only", () => {
        const monitors = [...objectsOfKind(r, "PodMonitor"), ...objectsOfKind(r, "ServiceMonitor")];
        for (const monitor of monitors) {
          const label = `${monitor.kind} ${monitor.metadata.name}`;
          assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: [ns] }, label);
          const pods = selectedPods(r, monitor);
          assert.ok(pods.length > 0, `${label} selects nothing the stack runs`);
          const endpoints = monitor.spec.podMetricsEndpoints ?? monitor.spec.endpoints;
          for (const endpoint of endpoints) {
            assert.ok(pods.every((pod) => pod.ports.includes(endpoint.port)), `${label}: port ${endpoint.port}`);
          }
        }
        const jobs = monitors.flatMap((m) => (m.spec.podMetricsEndpoints ?? m.spec.endpoints).flatMap((e: K8sObject) => e.relabelings ?? []))
          .filter((relabel: K8sObject) => relabel.targetLabel === "job")
          .map((relabel: K8sObject) => relabel.replacement);
        for (const job of ["football-prediction", "redis-exporter", "postgres-exporter", "cloudnative-pg", "pgbouncer"]) {
          assert.ok(jobs.includes(job), `no monitor sets job="${job}"`);
        }
      });

      it("watches the filling of every volume it claims through kubelet's volume statistics", () => {
        const rules = findObject(r, "PrometheusRule", "football-prediction").spec.groups.flatMap((g: K8sObject) => g.rules);
        const volume = rules.find((rule: K8sObject) => rule.alert === "PersistentVolumeFilling");
        assert.ok(volume, "no PersistentVolumeFilling alert");
        assert.match(volume.expr, /kubelet_volume_stats_used_bytes/);
        const patterns = [...(volume.expr as string).matchAll(/persistentvolumeclaim=~"([^"]+)"/g)].map((m) => new RegExp(`^(?:${m[1]})$`));
        for (const claim of claimNames(r, ns)) {
          assert.ok(patterns.some((pattern) => pattern.test(claim)), `claim ${claim} is not watched`);
        }
        for (const rule of rules.filter((x: K8sObject) => x.alert !== undefined)) {
          assert.equal(rule.labels.namespace, ns, rule.alert);
          assert.equal(rule.labels.environment, stack, rule.alert);
        }
      });

      it("routes through the stack's receivers' Secret by reference, so no receiver secret is rendered", () => {
        const config = findObject(r, "AlertmanagerConfig", "football-prediction");
        const secretNames = objectsOfKind(r, "Secret").map((s) => s.metadata.name);
        const refs = JSON.stringify(config.spec.receivers).match(/"name":"(alertmanager-receivers-[0-9a-f]+)"/g) ?? [];
        assert.ok(refs.length >= 2, "the receivers name no Secret");
        for (const ref of refs) assert.ok(secretNames.includes(JSON.parse(`{${ref}}`).name), ref);
        assert.doesNotMatch(JSON.stringify(config), /https:\/\/hooks|routing-key-value|xox[bp]-/);
      });

      it("ships each dashboard as a ConfigMap Grafana's sidecar loads into the environment's folder", () => {
        const dashboards = objectsOfKind(r, "ConfigMap").filter((c) => c.metadata.labels?.[MONITORING.dashboardLabel] === "1");
        assert.ok(dashboards.length >= 1);
        for (const map of dashboards) {
          assert.equal(map.metadata.annotations[MONITORING.dashboardFolderAnnotation], `Football prediction (${stack})`);
          for (const json of Object.values(map.data) as string[]) {
            const dashboard = JSON.parse(json);
            assert.ok(dashboard.uid && dashboard.panels.length > 0, map.metadata.name);
          }
        }
      });

      it("admits the cluster's Prometheus to each scraped port and lets the jobs push to the cluster's Pushgateway", () => {
        const policies = objectsOfKind(r, "NetworkPolicy");
        const fromMonitoring = (peer: K8sObject) =>
          peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring" && peer.podSelector !== undefined;
        const admitted = policies.flatMap((p) => (p.spec.ingress ?? []).filter((rule: K8sObject) => (rule.from ?? []).some(fromMonitoring)));
        assert.ok(admitted.length >= 5, "Prometheus is admitted to too few workloads");
        for (const job of ["backup", "importer"]) {
          const egress = policies
            .filter((p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/component"] === job)
            .flatMap((p) => p.spec.egress ?? []);
          assert.ok(egress.some((rule: K8sObject) => rule.to.some(fromMonitoring)), `${job} cannot reach the Pushgateway`);
        }
      });
    });
  }

  it("renders no monitoring object where monitoring is off (dev)", async () => {
    const r = await rendered("dev");
    for (const kind of OPERATOR_KINDS) assert.deepEqual(objectsOfKind(r, kind), [], kind);
  });

  it("takes scrape and evaluation intervals from the stack config", async () => {
    const r = await renderStack("test", { "monitoring.scrapeInterval": "45s", "monitoring.evaluationInterval": "1m" });
    for (const monitor of objectsOfKind(r, "PodMonitor")) {
      for (const endpoint of monitor.spec.podMetricsEndpoints) assert.equal(endpoint.interval, "45s", monitor.metadata.name);
    }
    for (const group of findObject(r, "PrometheusRule", "football-prediction").spec.groups) assert.equal(group.interval, "1m");
  });
});
