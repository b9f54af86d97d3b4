import * as assert from "assert";
import { cronJob, deployment, messages, modified, object, report, statefulSet } from "./fixtures";

const production = { "deployment-pod-disruption-budget": { production: true }, "statefulset-backup": { production: true } };

function budget(app: string) {
  return object("policy/v1", "PodDisruptionBudget", app, { spec: { maxUnavailable: 1, selector: { matchLabels: { app } } } });
}

function autoscaler(target: string, minReplicas?: number) {
  return object("autoscaling/v2", "HorizontalPodAutoscaler", target, {
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, ...(minReplicas ? { minReplicas } : {}), maxReplicas: 6 },
  });
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
        'Deployment "api" is scaled by HorizontalPodAutoscaler "api" to at least 2 replicas but no PodDisruptionBudget selects its pods; add a PodDisruptionBudget in namespace "shop" with a selector matching app=api and maxUnavailable: 1',
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
});
