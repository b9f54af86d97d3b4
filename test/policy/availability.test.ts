import * as assert from "assert";
import { cronJob, deployment, itReports, messages, modified, object, report, spread, statefulSet, withPod } from "./fixtures";

const production = { "deployment-pod-disruption-budget": { production: true }, "statefulset-backup": { production: true } };

function budget(app: string) {
  return object("policy/v1", "PodDisruptionBudget", app, { spec: { maxUnavailable: 1, selector: { matchLabels: { app } } } });
}

function autoscaler(target: string, minReplicas?: number, maxReplicas = 6) {
  return object("autoscaling/v2", "HorizontalPodAutoscaler", target, {
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, ...(minReplicas ? { minReplicas } : {}), maxReplicas },
  });
}

function budgetWith(app: string, spec: Record<string, unknown>) {
  return object("policy/v1", "PodDisruptionBudget", app, { spec: { ...spec, selector: { matchLabels: { app } } } });
}

describe("availability policies", () => {
  it("check nothing outside production", async () => {
    const result = await report([deployment("api", 3), statefulSet("db")]);
    const availability = result.violations.filter((violation) => ["deployment-pod-disruption-budget", "statefulset-backup"].includes(violation.policyName));
    assert.deepStrictEqual(availability, []);
    assert.ok(result.notApplicable.some((entry) => entry.policyName === "statefulset-backup" && entry.reason?.startsWith("not a production environment")));
  });

  describe("deployment-pod-disruption-budget", () => {
    it("allows a replicated Deployment with a budget, and a single replica without one", async () => {
      assert.deepStrictEqual(await messages([deployment("api", 3), budget("api"), deployment("worker", 1)], "deployment-pod-disruption-budget", production), []);
    });

    it("flags a replicated Deployment without a budget", async () => {
      assert.deepStrictEqual(await messages([deployment("api", 2), budget("worker")], "deployment-pod-disruption-budget", production), [
        'Deployment "api" runs 2 replicas but no PodDisruptionBudget selects its pods; add a PodDisruptionBudget in namespace "shop" with a selector matching app=api and maxUnavailable: 1',
      ]);
    });

    it("flags a Deployment whose HPA keeps at least 2 replicas", async () => {
      const replicasUnset = modified(deployment("api"), (props) => delete props.spec.replicas);
      assert.deepStrictEqual(await messages([replicasUnset, autoscaler("api", 2)], "deployment-pod-disruption-budget", production), [
        'Deployment "api" is scaled by HorizontalPodAutoscaler "api" to 2-6 replicas but no PodDisruptionBudget selects its pods; add a PodDisruptionBudget in namespace "shop" with a selector matching app=api and maxUnavailable: 1',
      ]);
    });

    it("goes by the HPA's minReplicas over spec.replicas", async () => {
      assert.deepStrictEqual(await messages([deployment("api", 3), autoscaler("api")], "deployment-pod-disruption-budget", production), []);
    });
  });

  describe("statefulset-backup", () => {
    it("allows a StatefulSet with a backup CronJob, by annotation or by a custom label", async () => {
      assert.deepStrictEqual(await messages([statefulSet("db"), cronJob("backup", { "backup/target": "cache, db" })], "statefulset-backup", production), []);
      const labelled = modified(cronJob("backup"), (props) => (props.spec.jobTemplate.spec.template.metadata.labels["backups.acme.io/of"] = "db"));
      const config = { "statefulset-backup": { production: true, targetKey: "backups.acme.io/of" } };
      assert.deepStrictEqual(await messages([statefulSet("db"), labelled], "statefulset-backup", config), []);
    });

    it("flags a StatefulSet with volume claims and no backup", async () => {
      assert.deepStrictEqual(await messages([statefulSet("db"), cronJob("report")], "statefulset-backup", production), [
        'StatefulSet "db" stores data in volumes but no CronJob in namespace "shop" backs it up; add a backup CronJob annotated backup/target: db',
      ]);
    });

    it("flags a StatefulSet with a persistentVolumeClaim volume whose backup runs in another namespace", async () => {
      const sts = modified(statefulSet("db"), (props) => {
        delete props.spec.volumeClaimTemplates;
        props.spec.template.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "db-data" } }];
      });
      const elsewhere = modified(cronJob("backup", { "backup/target": "db" }), (props) => (props.metadata.namespace = "ops"));
      assert.deepStrictEqual(await messages([sts, elsewhere], "statefulset-backup", production), [
        'StatefulSet "db" stores data in volumes but no CronJob in namespace "shop" backs it up; add a backup CronJob annotated backup/target: db',
      ]);
    });

    it("ignores StatefulSets without storage, and those exempted by config", async () => {
      const stateless = modified(statefulSet("cache"), (props) => delete props.spec.volumeClaimTemplates);
      const config = { "statefulset-backup": { production: true, exemptStatefulSets: ["shop/metrics"] } };
      assert.deepStrictEqual(await messages([stateless, statefulSet("metrics")], "statefulset-backup", config), []);
    });
  });

  describe("replica-spread", () => {
    const unspread = (replicas: number) => withPod(deployment("api", replicas), (spec) => delete spec.topologySpreadConstraints);
    const antiAffinity = (topologyKey: string) =>
      withPod(unspread(3), (spec) => (spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey, labelSelector: { matchLabels: { app: "api" } } } }] } }));
    itReports("replica-spread", [
      { name: "allows one replica without spreading, and several with a spread constraint", resources: [deployment("worker", 1), deployment("api", 3)], expected: [] },
      { name: "allows a preferred anti-affinity on the zone", resources: [antiAffinity("topology.kubernetes.io/zone")], expected: [] },
      {
        name: "flags several replicas with nothing spreading them",
        resources: [unspread(2)],
        expected: ['Deployment "api" runs 2 replicas but nothing spreads them; add a topologySpreadConstraint on kubernetes.io/hostname (or topology.kubernetes.io/zone) with a labelSelector matching app=api'],
      },
      {
        name: "flags an anti-affinity on another topology key, and one whose selector misses the pods",
        resources: [antiAffinity("kubernetes.io/os"), withPod(deployment("web", 2), (spec) => (spec.topologySpreadConstraints = [spread("other")]))],
        expected: [
          'Deployment "api" runs 3 replicas but nothing spreads them; add a topologySpreadConstraint on kubernetes.io/hostname (or topology.kubernetes.io/zone) with a labelSelector matching app=api',
          'Deployment "web" runs 2 replicas but nothing spreads them; add a topologySpreadConstraint on kubernetes.io/hostname (or topology.kubernetes.io/zone) with a labelSelector matching app=web',
        ],
      },
      {
        name: "flags one replica an HPA can scale out",
        resources: [unspread(1), autoscaler("api", 1, 4)],
        expected: ['Deployment "api" is scaled by HorizontalPodAutoscaler "api" to 1-4 replicas but nothing spreads them; add a topologySpreadConstraint on kubernetes.io/hostname (or topology.kubernetes.io/zone) with a labelSelector matching app=api'],
      },
    ]);
  });

  describe("hpa-min-replicas", () => {
    itReports("hpa-min-replicas", [
      { name: "checks nothing outside production", resources: [autoscaler("api")], expected: [] },
      { name: "allows minReplicas of 2 in production", config: { production: true }, resources: [autoscaler("api", 2)], expected: [] },
      { name: "flags an unset minReplicas (1) in production", config: { production: true }, resources: [autoscaler("api")], expected: ["HorizontalPodAutoscaler does not set spec.minReplicas (default 1); set it to at least 2"] },
      { name: "flags minReplicas below the configured minimum", config: { production: true, minReplicas: 3 }, resources: [autoscaler("api", 2)], expected: ["HorizontalPodAutoscaler sets spec.minReplicas=2; set it to at least 3"] },
    ]);
  });

  describe("pdb-allows-disruption", () => {
    const advice = "; use maxUnavailable: 1 (or a minAvailable below the replicas)";
    itReports("pdb-allows-disruption", [
      { name: "allows maxUnavailable: 1, a percentage and a minAvailable below the replicas", resources: [deployment("api", 3), budgetWith("api", { minAvailable: 2 }), budgetWith("web", { maxUnavailable: "25%" })], expected: [] },
      {
        name: "counts the pods of every workload the budget selects",
        resources: [modified(statefulSet("db"), (props) => (props.spec.template.metadata.labels.tier = "db")), modified(statefulSet("db-replica"), (props) => (props.spec.template.metadata.labels.tier = "db")), object("policy/v1", "PodDisruptionBudget", "db", { spec: { minAvailable: 1, selector: { matchLabels: { tier: "db" } } } })],
        expected: [],
      },
      { name: "flags maxUnavailable: 0", resources: [budgetWith("api", { maxUnavailable: 0 })], expected: [`PodDisruptionBudget "api" sets maxUnavailable=0, so no pod may ever be evicted${advice}`] },
      { name: 'flags maxUnavailable: "0%" and minAvailable: "100%"', resources: [budgetWith("api", { maxUnavailable: "0%" }), budgetWith("web", { minAvailable: "100%" })], expected: [`PodDisruptionBudget "api" sets maxUnavailable=0%, so no pod may ever be evicted${advice}`, `PodDisruptionBudget "web" sets minAvailable=100%, so no pod may ever be evicted${advice}`] },
      {
        name: "flags minAvailable equal to the replicas",
        resources: [deployment("api", 2), budgetWith("api", { minAvailable: 2 })],
        expected: [`PodDisruptionBudget "api" sets minAvailable=2 but selects at least 2 pods (Deployment "api" runs 2 replicas), so then none may be evicted${advice}`],
      },
      {
        name: "flags minAvailable above the HPA's minimum",
        resources: [deployment("api", 5), autoscaler("api", 2), budgetWith("api", { minAvailable: 3 })],
        expected: [`PodDisruptionBudget "api" sets minAvailable=3 but selects at least 2 pods (Deployment "api" is scaled by HorizontalPodAutoscaler "api" to 2-6 replicas), so then none may be evicted${advice}`],
      },
    ]);
  });
});
