import assert from "node:assert/strict";
import type { RenderedResource, RenderedStack } from "../../../infra/offline/render";
import { formatPlan, planJson, summaryLine } from "../../../infra/plan/format";
import { diffPaths, plan, type PlannedChange } from "../../../infra/plan/plan";
import { forceNewFields, forcesReplacement } from "../../../infra/plan/rules";

const PREFIX = "urn:pulumi:prod::football-prediction::";
const PROVIDER_URN = `${PREFIX}pulumi:providers:kubernetes::kubernetes`;

type Inputs = Record<string, unknown>;

interface Spec {
  type: string;
  name: string;
  inputs: Inputs;
  /** Top-level input → names of the resources it was built from. */
  deps?: Record<string, string[]>;
  options?: Partial<RenderedResource["options"]>;
}

function urnOf(type: string, name: string): string {
  return type.startsWith("pulumi:providers:") ? PROVIDER_URN : `${PREFIX}${type}::${name}`;
}

/** A render holding exactly these resources, all under one kubernetes provider. */
function stackOf(specs: Spec[], generated: Record<string, string> = {}): RenderedStack {
  const byName = new Map(specs.map((s) => [s.name, urnOf(s.type, s.name)]));
  const resources: RenderedResource[] = specs.map((s) => ({
    type: s.type,
    name: s.name,
    urn: urnOf(s.type, s.name),
    custom: true,
    inputs: s.inputs,
    secretPaths: [],
    dependsOn: Object.values(s.deps ?? {}).flat().map((n) => byName.get(n) as string),
    propertyDependencies: Object.fromEntries(Object.entries(s.deps ?? {}).map(([k, names]) => [k, names.map((n) => byName.get(n) as string)])),
    provider: s.type.startsWith("kubernetes:") ? `${PROVIDER_URN}::kubernetes-id` : undefined,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], ...s.options },
  }));
  const generatedByUrn = Object.fromEntries(Object.entries(generated).map(([name, value]) => [byName.get(name) as string, value]));
  return {
    stack: "prod",
    project: "football-prediction",
    configFile: "stacks/Pulumi.prod.yaml",
    resources,
    outputs: {},
    secretOutputs: [],
    secretValues: [],
    generatedSecrets: Object.values(generated),
    generated: generatedByUrn,
    warnings: [],
  };
}

const provider = (inputs: Inputs = { kubeconfig: "cluster-a" }): Spec => ({ type: "pulumi:providers:kubernetes", name: "kubernetes", inputs });

/** Named `api-config`, or auto-named (no `metadata.name`: the provider adds a random suffix). */
const configMap = (data: Record<string, string>, autoNamed = false): Spec => ({
  type: "kubernetes:core/v1:ConfigMap",
  name: "api-config",
  inputs: { metadata: { ...(autoNamed ? {} : { name: "api-config" }), namespace: "fp" }, data },
});

const deployment = (opts: { image?: string; app?: string; configMapName?: string } = {}): Spec => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "api",
  inputs: {
    metadata: { name: "api", namespace: "fp" },
    spec: {
      selector: { matchLabels: { app: opts.app ?? "api" } },
      template: {
        metadata: { labels: { app: opts.app ?? "api" } },
        spec: { containers: [{ name: "api", image: opts.image ?? "svc:1", envFrom: [{ configMapRef: { name: opts.configMapName ?? "api-config" } }] }] },
      },
    },
  },
  deps: { spec: ["api-config"] },
});

const job = (configMapName = "api-config"): Spec => ({
  type: "kubernetes:batch/v1:Job",
  name: "migrate",
  inputs: {
    metadata: { name: "migrate", namespace: "fp" },
    spec: { template: { spec: { containers: [{ name: "m", image: "svc:1", envFrom: [{ configMapRef: { name: configMapName } }] }] } } },
  },
  deps: { spec: ["api-config"] },
});

function only(changes: PlannedChange[], name: string): PlannedChange {
  const found = changes.filter((c) => c.name === name);
  assert.equal(found.length, 1, `one change for ${name}: ${JSON.stringify(changes.map((c) => [c.op, c.name]))}`);
  return found[0];
}

describe("infrastructure: the plan engine", () => {
  it("diffs down to the changed leaves", () => {
    assert.deepEqual(diffPaths({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1, 3] } }), [".a.b", ".a.c[1]"]);
    assert.deepEqual(diffPaths({ a: [1] }, { a: [1, 2] }), [".a"]);
    assert.deepEqual(diffPaths({ a: 1 }, { a: 1 }), []);
  });

  it("matches force-new fields the way the provider does: the field, inside it, or a parent replaced whole", () => {
    assert.ok(forcesReplacement(".spec.selector.matchLabels.app", ".spec.selector"));
    assert.ok(forcesReplacement(".spec", ".spec.selector"));
    assert.ok(!forcesReplacement(".spec.selectorX", ".spec.selector"));
    assert.ok(!forcesReplacement(".spec.template", ".spec.selector"));
  });

  it("takes ConfigMap and Secret data as immutable unless the provider makes them mutable (and never when immutable)", () => {
    const off = { enableConfigMapMutable: false, enableSecretMutable: false };
    const on = { enableConfigMapMutable: true, enableSecretMutable: true };
    assert.ok(forceNewFields("kubernetes:core/v1:ConfigMap", {}, off).includes(".data"));
    assert.ok(!forceNewFields("kubernetes:core/v1:ConfigMap", {}, on).includes(".data"));
    assert.ok(forceNewFields("kubernetes:core/v1:Secret", {}, off).includes(".stringData"));
    assert.ok(!forceNewFields("kubernetes:core/v1:Secret", {}, on).includes(".stringData"));
    assert.ok(forceNewFields("kubernetes:core/v1:Secret", { immutable: true }, on).includes(".stringData"));
    assert.deepEqual(forceNewFields("kubernetes:policy/v1:PodDisruptionBudget", {}, off), [".metadata.name", ".metadata.namespace"]);
  });

  it("updates a Deployment in place for an image, and replaces it, deleting first, for a selector", () => {
    const base = stackOf([provider(), configMap({ A: "1" }), deployment()]);
    const image = only(plan(base, stackOf([provider(), configMap({ A: "1" }), deployment({ image: "svc:2" })])).changes, "api");
    assert.equal(image.op, "update");
    assert.deepEqual(image.changed, [".spec.template.spec.containers[0].image"]);
    assert.equal(image.destructive, false);

    const selector = only(plan(base, stackOf([provider(), configMap({ A: "1" }), deployment({ app: "api2" })])).changes, "api");
    assert.equal(selector.op, "replace");
    assert.deepEqual(selector.replaceReasons, [".spec.selector.matchLabels.app"]);
    assert.equal(selector.deleteBeforeReplace, true);
    assert.equal(selector.destructive, true);
  });

  it("replaces a named ConfigMap whose data changes, deleting first, and with it every dependant whose force-new input becomes unknown", () => {
    const base = stackOf([provider(), configMap({ LOG_LEVEL: "info" }), deployment(), job()]);
    const head = stackOf([provider(), configMap({ LOG_LEVEL: "debug" }), deployment(), job()]);
    const { changes, counts } = plan(base, head);
    const config = only(changes, "api-config");
    assert.equal(config.op, "replace");
    assert.deepEqual(config.replaceReasons, [".data.LOG_LEVEL"]);
    assert.equal(config.deleteBeforeReplace, true);
    for (const name of ["api", "migrate"]) {
      const dependant = only(changes, name);
      assert.equal(dependant.op, "replace", name);
      assert.equal(dependant.deleteBeforeReplace, true, name);
      assert.match(dependant.cause ?? "", /api-config is deleted before its replacement/);
    }
    assert.deepEqual(counts, { create: 0, update: 0, replace: 3, delete: 0, same: 1 });
  });

  it("creates an auto-named ConfigMap's replacement first: Deployments roll, a Job that reads it is replaced", () => {
    const base = stackOf([provider(), configMap({ LOG_LEVEL: "info" }, true), deployment({ configMapName: "api-config-a" }), job("api-config-a")]);
    const head = stackOf([provider(), configMap({ LOG_LEVEL: "debug" }, true), deployment({ configMapName: "api-config-b" }), job("api-config-b")]);
    const { changes } = plan(base, head);
    assert.equal(only(changes, "api-config").op, "replace");
    assert.equal(only(changes, "api-config").deleteBeforeReplace, false);
    assert.equal(only(changes, "api").op, "update");
    assert.equal(only(changes, "migrate").op, "replace");
    assert.deepEqual(only(changes, "migrate").replaceReasons, [".spec.template.spec.containers[0].envFrom[0].configMapRef.name"]);
  });

  it("grows a claim in place, and replaces it for a new storage class", () => {
    const claim = (size: string, storageClassName = "ssd"): Spec => ({
      type: "kubernetes:core/v1:PersistentVolumeClaim",
      name: "backups",
      inputs: { metadata: { name: "backups", namespace: "fp" }, spec: { storageClassName, resources: { requests: { storage: size } } } },
    });
    assert.equal(only(plan(stackOf([claim("10Gi")]), stackOf([claim("20Gi")])).changes, "backups").op, "update");
    const moved = only(plan(stackOf([claim("10Gi")]), stackOf([claim("10Gi", "hdd")])).changes, "backups");
    assert.equal(moved.op, "replace");
    assert.equal(moved.destructive, true);
  });

  it("replaces a StatefulSet whose claim templates change", () => {
    const sts = (version: string): Spec => ({
      type: "kubernetes:apps/v1:StatefulSet",
      name: "postgres",
      inputs: {
        metadata: { name: "postgres", namespace: "fp" },
        spec: { serviceName: "postgres", volumeClaimTemplates: [{ metadata: { name: "data", labels: { "app.kubernetes.io/version": version } } }] },
      },
    });
    const change = only(plan(stackOf([sts("16.4")]), stackOf([sts("16.5")])).changes, "postgres");
    assert.equal(change.op, "replace");
    assert.deepEqual(change.replaceReasons, [".spec.volumeClaimTemplates[0].metadata.labels.app.kubernetes.io/version"]);
  });

  it("replaces the provider, and everything it manages, when the cluster changes, unless clusterIdentifier vouches for it", () => {
    const resources = [configMap({ A: "1" }), deployment()];
    const moved = plan(stackOf([provider({ kubeconfig: "a" }), ...resources]), stackOf([provider({ kubeconfig: "b" }), ...resources]));
    assert.equal(only(moved.changes, "kubernetes").op, "replace");
    assert.equal(only(moved.changes, "api").op, "replace");
    assert.match(only(moved.changes, "api").cause ?? "", /provider kubernetes is replaced/);

    const pinned = plan(
      stackOf([provider({ kubeconfig: "a", clusterIdentifier: "prod-1" }), ...resources]),
      stackOf([provider({ kubeconfig: "b", clusterIdentifier: "prod-1" }), ...resources]),
    );
    assert.equal(only(pinned.changes, "kubernetes").op, "update");
    assert.equal(pinned.changes.length, 1);
  });

  it("keeps a generated value while its random resource is unchanged, and replaces the Secret when it rotates", () => {
    const password = (keepers?: Inputs): Spec => ({ type: "random:index/randomPassword:RandomPassword", name: "pw", inputs: { length: 32, ...(keepers ? { keepers } : {}) } });
    const secret = (value: string): Spec => ({
      type: "kubernetes:core/v1:Secret",
      name: "creds",
      inputs: { metadata: { name: "creds", namespace: "fp" }, stringData: { URL: `postgres://app:${value}@db` } },
      deps: { stringData: ["pw"] },
    });
    const base = stackOf([provider(), password(), secret("aaa")], { pw: "aaa" });
    assert.deepEqual(plan(base, stackOf([provider(), password(), secret("bbb")], { pw: "bbb" })).changes, []);

    const rotated = plan(base, stackOf([provider(), password({ rotation: "2026-12-01" }), secret("ccc")], { pw: "ccc" }));
    assert.equal(only(rotated.changes, "pw").op, "replace");
    assert.equal(only(rotated.changes, "creds").op, "replace");
    assert.deepEqual(only(rotated.changes, "creds").replaceReasons, [".stringData.URL"]);
  });

  it("masks generated values alike when the base's renderer does not record them per resource, and says so", () => {
    const password: Spec = { type: "random:index/randomPassword:RandomPassword", name: "pw", inputs: { length: 32 } };
    const secret = (value: string): Spec => ({
      type: "kubernetes:core/v1:Secret",
      name: "creds",
      inputs: { metadata: { name: "creds", namespace: "fp" }, stringData: { PASSWORD: value } },
    });
    const base = { ...stackOf([provider(), password, secret("aaa")], { pw: "aaa" }), generated: undefined } as unknown as RenderedStack;
    const result = plan(base, stackOf([provider(), password, secret("bbb")], { pw: "bbb" }));
    assert.deepEqual(result.changes, []);
    assert.match(result.notes.join("\n"), /secret rotations are not shown/);
  });

  it("honours ignoreChanges and the deleteBeforeReplace option, and flags protected and retained objects", () => {
    const service = (type: string, options: Spec["options"] = {}): Spec => ({
      type: "kubernetes:core/v1:Service",
      name: "api",
      inputs: { metadata: { namespace: "fp" }, spec: { clusterIP: type === "None" ? "None" : undefined, type } },
      options,
    });
    const ignored = plan(stackOf([service("ClusterIP", { ignoreChanges: ["spec.type"] })]), stackOf([service("NodePort", { ignoreChanges: ["spec.type"] })]));
    assert.deepEqual(ignored.changes, []);
    const headless = only(plan(stackOf([service("ClusterIP")]), stackOf([service("None", { deleteBeforeReplace: true, protect: true })])).changes, "api");
    assert.equal(headless.op, "replace");
    assert.equal(headless.deleteBeforeReplace, true, "the option, since the object is auto-named");
    assert.equal(headless.protect, true);
    const gone = only(plan(stackOf([service("ClusterIP", { retainOnDelete: true })]), stackOf([])).changes, "api");
    assert.equal(gone.op, "delete");
    assert.equal(gone.retainOnDelete, true);
    assert.equal(gone.destructive, true);
  });

  it("says which unchanged Jobs replaceUnready may still replace, since only the live status decides", () => {
    const migrate: Spec = {
      type: "kubernetes:batch/v1:Job",
      name: "migrate-0-1-0",
      inputs: { metadata: { name: "migrate-0-1-0", namespace: "fp", annotations: { "pulumi.com/replaceUnready": "true" } }, spec: {} },
    };
    const result = plan(stackOf([provider(), migrate]), stackOf([provider(), migrate]));
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.notes, ["migrate-0-1-0: pulumi.com/replaceUnready replaces it if its live run has not succeeded, which only a real preview can see"]);
  });

  it("counts any CloudNativePG object replaced or deleted as destructive", () => {
    const cluster: Spec = { type: "kubernetes:postgresql.cnpg.io/v1:Cluster", name: "db", inputs: { metadata: { name: "db", namespace: "fp" } } };
    const renamed: Spec = { ...cluster, inputs: { metadata: { name: "db2", namespace: "fp" } } };
    const change = only(plan(stackOf([cluster]), stackOf([renamed])).changes, "db");
    assert.equal(change.op, "replace");
    assert.equal(change.destructive, true);
  });

  it("updates a CloudNativePG Cluster in place when its spec changes, and counts a replaced ObjectStore as destructive", () => {
    const cluster = (size: string, secret: string): Spec => ({
      type: "kubernetes:postgresql.cnpg.io/v1:Cluster",
      name: "db",
      inputs: { metadata: { name: "db", namespace: "fp" }, spec: { storage: { size }, managed: { roles: [{ name: "app", passwordSecret: { name: secret } }] } } },
    });
    const resized = only(plan(stackOf([cluster("20Gi", "role-app-1")]), stackOf([cluster("40Gi", "role-app-2")])).changes, "db");
    assert.equal(resized.op, "update");
    assert.equal(resized.destructive, false);
    const store: Spec = { type: "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", name: "store", inputs: { metadata: { name: "store", namespace: "fp" } } };
    const moved: Spec = { ...store, inputs: { metadata: { name: "store", namespace: "fp2" } } };
    const change = only(plan(stackOf([store]), stackOf([moved])).changes, "store");
    assert.equal(change.op, "replace");
    assert.equal(change.destructive, true);
  });

  it("prints pulumi's symbols, the forcing field and the summary; JSON carries the same", () => {
    const base = stackOf([provider(), configMap({ LOG_LEVEL: "info" }), deployment()]);
    const result = plan(base, stackOf([provider(), configMap({ LOG_LEVEL: "debug" }), deployment({ image: "svc:2" })]));
    const text = formatPlan(result, { base: "HEAD (abc1234)" });
    assert.match(text, /^\+- kubernetes:core\/v1:ConfigMap {2}api-config \(delete-before-replace\)$/m);
    assert.match(text, /^ {6}replaced because of \.data\.LOG_LEVEL$/m);
    assert.match(text, /^\+- kubernetes:apps\/v1:Deployment {2}api \(delete-before-replace\) \[destructive\]$/m);
    assert.equal(summaryLine(result), "Resources: +- 2 to replace, 1 unchanged");
    assert.match(text, /^Destructive: \+- kubernetes:apps\/v1:Deployment api$/m);
    const json = JSON.parse(JSON.stringify(planJson(result, { base: "HEAD (abc1234)" })));
    assert.deepEqual(json.counts, result.counts);
    assert.equal(json.changes.length, 2);
  });
});
