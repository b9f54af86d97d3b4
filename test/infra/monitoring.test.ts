import assert from "node:assert/strict";
import { parse } from "yaml";
import { metricsPorts } from "../../infra/observability";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { findObject, objects, rendered, selects, type K8sObject } from "./helpers";

/** The stacks with monitoring on. */
const MONITORED = ["test", "staging", "prod"] as const;

const LIST_WATCH = ["list", "watch"];

function containerOf(stack: RenderedStack, kind: string, name: string): K8sObject {
  return findObject(stack, kind, name).spec.template.spec.containers[0];
}

function flag(args: string[], name: string): string | undefined {
  return args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function prometheusConfig(stack: RenderedStack): { scrape_configs: K8sObject[] } {
  return parse(findObject(stack, "ConfigMap", "prometheus-config").data["prometheus.yml"]);
}

function alertExpr(stack: RenderedStack, alert: string): string {
  const rules = parse(findObject(stack, "ConfigMap", "prometheus-rules").data["alerts.yml"]) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  assert.ok(rule, `no alert ${alert}`);
  return rule.expr;
}

/** Every claim the stack's pods mount: standalone claims and those of StatefulSet volumeClaimTemplates. */
function claimNames(stack: RenderedStack, namespace: string): string[] {
  const inNamespace = objects(stack).map((m) => m.object as K8sObject).filter((o) => o.metadata.namespace === namespace);
  return inNamespace.flatMap((o) => {
    if (o.kind === "PersistentVolumeClaim") return [o.metadata.name];
    // CloudNativePG names each instance's data claim <cluster>-<serial>, serials growing as instances are replaced.
    if (o.kind === "Cluster") return [`${o.metadata.name}-[0-9]+`];
    if (o.kind !== "StatefulSet") return [];
    const ordinals = [...Array(o.spec.replicas ?? 1).keys()];
    return (o.spec.volumeClaimTemplates ?? []).flatMap((t: K8sObject) => ordinals.map((i) => `${t.metadata.name}-${o.metadata.name}-${i}`));
  });
}

/** The ingress or egress rules of a NetworkPolicy. */
function policyRules(stack: RenderedStack, policy: string, direction: "ingress" | "egress"): K8sObject[] {
  return findObject(stack, "NetworkPolicy", policy).spec[direction] ?? [];
}

function allowsPort(rules: K8sObject[], port: number, peer: (p: K8sObject) => boolean): boolean {
  return rules.some((rule) => rule.ports.some((p: K8sObject) => p.port === port) && (rule.from ?? rule.to).some(peer));
}

describe("infrastructure: monitoring with namespaced permissions only", function () {
  this.timeout(120_000);

  for (const stack of MONITORED) {
    const ns = `football-prediction-${stack}`;

    describe(stack, () => {
      let r: RenderedStack;
      before(async () => {
        r = await rendered(stack);
      });

      it("runs its own kube-state-metrics on this namespace, allowed to list and watch exactly what it exports", () => {
        const container = containerOf(r, "Deployment", "kube-state-metrics");
        assert.match(container.image, /^registry\.k8s\.io\/kube-state-metrics\/kube-state-metrics:v2\.\d+\.\d+$/);
        assert.equal(flag(container.args, "namespaces"), ns);
        assert.equal(flag(container.args, "port"), String(metricsPorts.kubeStateMetrics));
        const exported = (flag(container.args, "resources") ?? "").split(",").sort();
        const role = findObject(r, "Role", "kube-state-metrics");
        assert.equal(role.metadata.namespace, ns);
        assert.deepEqual(role.rules.flatMap((rule: K8sObject) => rule.resources).sort(), exported);
        for (const rule of role.rules) assert.deepEqual(rule.verbs, LIST_WATCH);
        const binding = findObject(r, "RoleBinding", "kube-state-metrics");
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kube-state-metrics", namespace: ns }]);
        assert.ok(container.readinessProbe.httpGet && container.livenessProbe.httpGet);
      });

      it("lets Prometheus list and watch pods only, in this namespace and the ingress controller's", () => {
        const controllerNamespace = "ingress-nginx";
        for (const [name, namespace] of [
          ["prometheus-discovery", ns],
          [`${ns}-prometheus-discovery`, controllerNamespace],
        ]) {
          const role = findObject(r, "Role", name, namespace);
          assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods"], verbs: LIST_WATCH }], name);
        }
        for (const job of prometheusConfig(r).scrape_configs.filter((j) => j.kubernetes_sd_configs !== undefined)) {
          const [sd] = job.kubernetes_sd_configs;
          assert.equal(sd.role, "pod", job.job_name);
          assert.ok([ns, controllerNamespace].includes(sd.namespaces.names[0]), job.job_name);
        }
      });

      it("opens the network for kube-state-metrics: scraped by Prometheus on its metrics port, watching the API server", () => {
        const prometheusPods = (peer: K8sObject) => peer.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "prometheus";
        assert.ok(allowsPort(policyRules(r, "allow-kube-state-metrics", "ingress"), metricsPorts.kubeStateMetrics, prometheusPods));
        const apiServer = (peer: K8sObject) => peer.ipBlock !== undefined;
        assert.ok(allowsPort(policyRules(r, "allow-kube-state-metrics", "egress"), 443, apiServer));
        const ksmLabels = findObject(r, "Deployment", "kube-state-metrics").spec.template.metadata.labels;
        const scrapes = (peer: K8sObject) => peer.podSelector !== undefined && selects(peer.podSelector.matchLabels, ksmLabels);
        assert.ok(allowsPort(policyRules(r, "allow-prometheus", "egress"), metricsPorts.kubeStateMetrics, scrapes));
      });

      it("estimates the filling of every data volume it claims, the Pushgateway's small file aside", () => {
        const watched = [...alertExpr(r, "PersistentVolumeFilling").matchAll(/persistentvolumeclaim=~"([^"]+)"/g)].flatMap((m) => m[1].split("|"));
        assert.deepEqual(watched.sort(), claimNames(r, ns).filter((claim) => claim !== "pushgateway").sort());
      });
    });
  }

  it("takes the ingress controller's namespace from the cluster config", async () => {
    const r = await renderStack("test", { "cluster.ingressControllerNamespace": "edge" });
    const ingressJob = prometheusConfig(r).scrape_configs.find((j) => j.job_name === "ingress-nginx");
    assert.deepEqual(ingressJob?.kubernetes_sd_configs[0].namespaces.names, ["edge"]);
    assert.equal(findObject(r, "Role", "football-prediction-test-prometheus-discovery", "edge").metadata.namespace, "edge");
    const fromEdge = (peer: K8sObject) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "edge";
    assert.ok(allowsPort(policyRules(r, "allow-prometheus", "egress"), metricsPorts.ingressController, fromEdge));
  });
});
