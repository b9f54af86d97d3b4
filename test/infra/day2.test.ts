/**
 * The day-2 hazards of issue 9, one test each: what a routine change (config, rotation, image bump, volume growth)
 * does to the objects, and the options the engine plans with (protect, retainOnDelete, ignoreChanges).
 */
import assert from "node:assert/strict";
import { StackConfigError } from "../../infra/config";
import { FINISHED_JOB_IGNORES, JOB_AWAIT_MARGIN_SECONDS, CLAIM_CLASS_PATH, CLAIM_SIZE_PATH, CLAIM_TEMPLATES_PATH } from "../../infra/k8s";
import { renderStack, type RenderedResource, type RenderedStack } from "../../infra/offline/render";
import { STACKS } from "../../infra/offline/stackConfig";
import { baseName, containersOf, findObject, objects, rendered, type K8sObject } from "./helpers";

const CONTENT_NAME = /^[a-z0-9-]+-[0-9a-f]{10}$/;

function resource(stack: RenderedStack, type: string, name: string): RenderedResource {
  const found = stack.resources.find((r) => r.type === `kubernetes:${type}` && r.name === name);
  assert.ok(found, `${stack.stack}: no ${type} ${name}`);
  return found;
}

/** Every ConfigMap and Secret name a pod template references, by the name without its digest. */
function references(template: K8sObject): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: unknown) => typeof name === "string" && names.set(baseName(name), name);
  for (const volume of template.spec.volumes ?? []) {
    add(volume.configMap?.name);
    add(volume.secret?.secretName);
  }
  for (const container of containersOf(template.spec)) {
    for (const from of container.envFrom ?? []) add(from.configMapRef?.name ?? from.secretRef?.name);
    for (const env of container.env ?? []) add(env.valueFrom?.secretKeyRef?.name ?? env.valueFrom?.configMapKeyRef?.name);
  }
  return names;
}

function template(stack: RenderedStack, kind: string, name: string): K8sObject {
  const object = findObject(stack, kind, name);
  return kind === "CronJob" ? object.spec.jobTemplate.spec.template : object.spec.template;
}

describe("infrastructure: day-2 changes that cannot hurt (issue 9)", function () {
  this.timeout(120_000);

  let prod: RenderedStack;
  before(async () => {
    prod = await rendered("prod");
  });

  it("names every ConfigMap and Secret a pod reads after its content, the same in every render of the same config", async () => {
    const again = await renderStack("prod");
    const names = (r: RenderedStack) =>
      objects(r)
        .map((m) => m.object as K8sObject)
        // A ServiceAccount token Secret's data is written by Kubernetes, never by the program: its name never changes.
        // The dashboards are read by Grafana's sidecar, not by a pod of the stack: they keep their names and are
        // updated in place.
        .filter((o) => (o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === undefined) || (o.kind === "Secret" && o.type !== "kubernetes.io/service-account-token"))
        .map((o) => o.metadata.name as string)
        .sort();
    assert.ok(names(prod).length >= 10);
    for (const name of names(prod)) assert.match(name, CONTENT_NAME);
    // The passwords differ between the two renders (the mock generates new ones); the names do not.
    assert.notDeepEqual(prod.generatedSecrets, again.generatedSecrets);
    assert.deepEqual(names(again), names(prod));
  });

  it("rolls the readers of a changed ConfigMap onto a new one instead of replacing it in place (logLevel)", async () => {
    const changed = await renderStack("prod", { logLevel: "debug" });
    const before = findObject(prod, "ConfigMap", "api-config").metadata.name;
    const after = findObject(changed, "ConfigMap", "api-config").metadata.name;
    assert.notEqual(after, before);
    for (const [kind, name] of [["Deployment", "api-blue"], ["Deployment", "api-green"], ["Deployment", "worker"], ["CronJob", "import"]]) {
      assert.equal(references(template(changed, kind, name)).get("api-config"), after, `${kind} ${name} reads the new ConfigMap`);
    }
  });

  it("creates a new Secret on a rotation, rolls every reader onto it and points the Cluster's role at it in place", async () => {
    const rotated = await renderStack("prod", { "secrets.rotation.postgresAppPassword": "2026-12-06" });
    for (const secret of ["postgres-role-app", "api-credentials"]) {
      const before = findObject(prod, "Secret", secret).metadata.name;
      const after = findObject(rotated, "Secret", secret).metadata.name;
      assert.notEqual(after, before, `${secret} gets a new name`);
      assert.match(after, CONTENT_NAME);
    }
    for (const secret of ["redis-credentials", "postgres-role-monitor"]) {
      assert.equal(
        findObject(rotated, "Secret", secret).metadata.name,
        findObject(prod, "Secret", secret).metadata.name,
        `${secret}: a Secret without the rotated password keeps its name`,
      );
    }
    const newName = findObject(rotated, "Secret", "postgres-role-app").metadata.name;
    const roles = findObject(rotated, "Cluster", "postgres").spec.managed.roles as K8sObject[];
    assert.equal(roles.find((role) => role.name === "app")?.passwordSecret.name, newName, "the operator finds the new Secret");
    // The Cluster keeps its name and is updated, never replaced: the bootstrap, which names the app Secret too, is
    // read only at creation and left as created.
    assert.equal(findObject(rotated, "Cluster", "postgres").metadata.name, findObject(prod, "Cluster", "postgres").metadata.name);
    assert.deepEqual(resource(rotated, "postgresql.cnpg.io/v1:Cluster", "cluster").options.ignoreChanges, ["spec.bootstrap"]);
  });

  it("never replaces a Job that has run: the pod template is left as created, a new release gets a new Job", () => {
    const jobs = prod.resources.filter((r) => r.type === "kubernetes:batch/v1:Job");
    assert.ok(jobs.length >= 2);
    for (const job of jobs) assert.deepEqual(job.options.ignoreChanges, FINISHED_JOB_IGNORES, job.name);
  });

  it("awaits the migration Job at least as long as its deadline, and replaces a failed one on the next deploy", () => {
    for (const { object } of objects(prod).filter((m) => (m.object as K8sObject).kind === "Job")) {
      const job = object as K8sObject;
      const annotations = job.metadata.annotations ?? {};
      if (annotations["pulumi.com/skipAwait"] === "true") continue;
      assert.ok(
        Number(annotations["pulumi.com/timeoutSeconds"]) >= job.spec.activeDeadlineSeconds + JOB_AWAIT_MARGIN_SECONDS,
        `${job.metadata.name}: the provider gives up before the Job's deadline`,
      );
      assert.equal(annotations["pulumi.com/replaceUnready"], "true", job.metadata.name);
    }
    assert.ok(findObject(prod, "Job", "migrate-0-1-0").metadata.annotations["pulumi.com/timeoutSeconds"]);
  });

  it("keeps versions and other volatile labels out of volumeClaimTemplates and claims", async () => {
    const claimLabels = (r: RenderedStack) =>
      objects(r)
        .map((m) => m.object as K8sObject)
        .flatMap((o) =>
          o.kind === "StatefulSet"
            ? (o.spec.volumeClaimTemplates ?? []).map((t: K8sObject) => [`${o.metadata.name}/${t.metadata.name}`, t.metadata.labels])
            : o.kind === "PersistentVolumeClaim"
              ? [[o.metadata.name, o.metadata.labels]]
              : [],
        );
    const before = claimLabels(prod);
    assert.ok(before.length >= 2, "the cache's template and the backups claim");
    for (const [claim, labels] of before) assert.equal(labels["app.kubernetes.io/version"], undefined, claim);
    const bumped = await renderStack("prod", { "image.tag": "0.2.0", "blueGreen.tags.blue": "0.2.0", "blueGreen.tags.green": "0.2.0" });
    assert.deepEqual(claimLabels(bumped), before, "a release changes no claim template");
  });

  it("grows volumes through a claim patch and never through the template or the claim, which would replace them", async () => {
    const grown = await renderStack("prod", { "database.storageSize": "80Gi", "backups.storageSize": "150Gi", "redis.storageSize": "8Gi" });
    for (const [statefulSet, claim, size] of [["redis", "data-redis-0", "8Gi"]]) {
      assert.deepEqual(resource(grown, "apps/v1:StatefulSet", statefulSet).options.ignoreChanges, [CLAIM_TEMPLATES_PATH]);
      const patch = grown.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaimPatch" && (r.inputs.metadata as K8sObject).name === claim);
      assert.ok(patch, `a patch grows ${claim}`);
      assert.equal((patch.inputs.spec as K8sObject).resources.requests.storage, size);
      assert.equal((patch.inputs.metadata as K8sObject).annotations["pulumi.com/patchForce"], "true");
    }
    assert.deepEqual(resource(grown, "core/v1:PersistentVolumeClaim", "backups").options.ignoreChanges, [CLAIM_SIZE_PATH, CLAIM_CLASS_PATH]);
    const backupPatch = resource(grown, "core/v1:PersistentVolumeClaimPatch", "backups-size");
    assert.equal((backupPatch.inputs.spec as K8sObject).resources.requests.storage, "150Gi");
  });

  it("grows PostgreSQL's volumes through the Cluster, which the operator resizes in place: no claim patch of its own", async () => {
    const grown = await renderStack("prod", { "database.storageSize": "80Gi", "database.walStorageSize": "30Gi" });
    const cluster = findObject(grown, "Cluster", "postgres").spec;
    assert.equal(cluster.storage.size, "80Gi");
    assert.equal(cluster.walStorage.size, "30Gi");
    assert.equal(findObject(grown, "Cluster", "postgres").metadata.name, findObject(prod, "Cluster", "postgres").metadata.name);
    const claimPatches = grown.resources.filter((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaimPatch");
    assert.ok(claimPatches.every((r) => !String((r.inputs.metadata as K8sObject).name).startsWith("postgres")), "the operator owns the instances' claims");
    assert.ok(!grown.resources.some((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name.startsWith("postgres")));
  });

  for (const stack of STACKS) {
    it(`${stack}: ${["staging", "prod"].includes(stack) ? "protects and retains" : "neither protects nor retains"} the namespace and every object holding data`, async () => {
      const r = await rendered(stack);
      const expected = ["staging", "prod"].includes(stack);
      const stateful = r.resources.filter((res) =>
        [
          "kubernetes:core/v1:Namespace",
          "kubernetes:apps/v1:StatefulSet",
          "kubernetes:core/v1:PersistentVolumeClaim",
          "kubernetes:core/v1:PersistentVolumeClaimPatch",
          "kubernetes:postgresql.cnpg.io/v1:Cluster",
          "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
        ].includes(res.type),
      );
      assert.ok(stateful.length >= 5);
      assert.ok(stateful.some((res) => res.type === "kubernetes:postgresql.cnpg.io/v1:Cluster"), "the CloudNativePG Cluster holds the data");
      const archived = r.resources.some((res) => res.type === "kubernetes:barmancloud.cnpg.io/v1:ObjectStore");
      assert.equal(archived, stack === "staging" || stack === "prod", "the object store exists exactly where backups.s3 is set");
      for (const res of stateful) {
        assert.equal(res.options.protect, expected, `${res.type} ${res.name} protect`);
        assert.equal(res.options.retainOnDelete, expected, `${res.type} ${res.name} retainOnDelete`);
      }
    });
  }

  it("gives the Kubernetes provider a clusterIdentifier, so a new kubeconfig updates it instead of replacing everything", async () => {
    const provider = (r: RenderedStack) => r.resources.find((res) => res.type === "pulumi:providers:kubernetes");
    assert.equal(provider(prod)?.inputs.clusterIdentifier, "prod");
    const moved = await renderStack("prod", { kubeContext: "prod-eu-2", clusterIdentifier: "prod-eu-2" });
    assert.equal(provider(moved)?.inputs.clusterIdentifier, "prod-eu-2");
  });

  it("refuses a stack without protection settings or with a malformed clusterIdentifier, naming stack and key", async () => {
    await assert.rejects(renderStack("staging", { protection: undefined }), (error: Error) => {
      assert.ok(error instanceof StackConfigError);
      assert.match(error.message, /stack "staging": config key "football-prediction:protection" is required/);
      return true;
    });
    await assert.rejects(renderStack("prod", { clusterIdentifier: "prod cluster" }), (error: Error) => {
      assert.ok(error instanceof StackConfigError);
      assert.match(error.message, /stack "prod": config key "football-prediction:clusterIdentifier" must be a cluster name/);
      return true;
    });
  });
});
