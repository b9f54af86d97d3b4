import assert from "node:assert/strict";
import { nameWithTag } from "../../../infra/blueGreen";
import { renderStack, type RenderedResource, type RenderedStack } from "../../../infra/offline/render";
import { STACKS } from "../../../infra/offline/stackConfig";
import { plan, type Plan, type PlannedChange } from "../../../infra/plan/plan";
import { kubernetesType } from "../../../infra/plan/rules";
import { destructiveScenarios, routineScenarios, type Scenario } from "./scenarios";

/**
 * Renders one scenario of a stack deployed as `base` (its recorded release is what the run keeps, as
 * `npm run plan` does), with the scenario's code patches in place, and puts the code back.
 */
async function renderScenario(stack: string, scenario: Scenario, base: RenderedStack): Promise<RenderedStack> {
  const restores = (scenario.patches ?? []).map((p) => p.apply());
  try {
    return await renderStack(stack, scenario.overrides, { previousOutputs: base.outputs });
  } finally {
    restores.reverse().forEach((restore) => restore());
  }
}

function describeChanges(changes: PlannedChange[]): string {
  return changes.map((c) => `${c.op} ${c.type} ${c.name}${c.cause ? ` (${c.cause})` : ""} ${c.replaceReasons.join(", ")}`).join("\n    ");
}

const CONTENT = [".data", ".stringData", ".binaryData"];
const CLUSTER_TYPE = "kubernetes:postgresql.cnpg.io/v1:Cluster";
/** Scenarios that change the serving Cluster's spec: its role Secrets' names, its storage size, its image. */
const CLUSTER_UPDATES = ["rotation of postgres", "volume growth", "PostgreSQL minor image bump"];
const LONG_RUNNING = ["Deployment", "StatefulSet", "DaemonSet"];

function isConfigObject(change: PlannedChange): boolean {
  return ["ConfigMap", "Secret"].includes(kubernetesType(change.type)?.kind ?? "");
}

/** A ConfigMap or Secret whose content this plan changes: a new (content-named) object, or new data. */
function contentChanged(change: PlannedChange): boolean {
  if (!isConfigObject(change)) return false;
  return change.op === "create" || change.changed.some((path) => CONTENT.some((field) => path === field || path.startsWith(`${field}.`)));
}

/**
 * Pods read ConfigMaps and Secrets at start: every long-running workload built from a changed one must get a new
 * pod template in the same plan (a checksum annotation or the new object's name), or it keeps the old content.
 */
function workloadsLeftStale(result: Plan, head: RenderedStack): string[] {
  const changed = new Set(result.changes.filter(contentChanged).map((c) => c.urn));
  const byUrn = new Map(result.changes.map((c) => [c.urn, c]));
  const readers = head.resources.filter(
    (r: RenderedResource) =>
      LONG_RUNNING.includes(kubernetesType(r.type)?.kind ?? "") && (r.propertyDependencies.spec ?? []).some((urn) => changed.has(urn)),
  );
  return readers
    .filter((r) => {
      const change = byUrn.get(r.urn);
      return change === undefined || (change.op === "update" && !change.changed.some((path) => path.startsWith(".spec.template.")));
    })
    .map((r) => `${r.type} ${r.name}`);
}

/** A Job replaced by its namesake for `tag`, the release the scenario brings in (see Scenario.releaseTag). */
function nextReleaseJob(change: PlannedChange, head: RenderedStack, tag: string | undefined): boolean {
  if (tag === undefined || change.op !== "replace" || kubernetesType(change.type)?.kind !== "Job") return false;
  const name = (head.resources.find((r) => r.urn === change.urn)?.inputs.metadata as { name?: string } | undefined)?.name;
  return change.replaceReasons.includes(".metadata.name") && name === nameWithTag(change.name, tag);
}

for (const stack of STACKS) {
  describe(`infrastructure: day-2 changes to ${stack} plan no loss`, function () {
    this.timeout(120_000);

    const renders = new Map<string, Promise<RenderedStack>>();
    let base: RenderedStack;
    before(async () => {
      base = await renderStack(stack);
    });

    const rendered = (scenario: Scenario): Promise<RenderedStack> => {
      let render = renders.get(scenario.name);
      if (render === undefined) {
        render = renderScenario(stack, scenario, base);
        renders.set(scenario.name, render);
      }
      return render;
    };

    const routine = routineScenarios(stack);
    for (const scenario of routine) {
      it(`${scenario.name}: nothing stateful or serving replaced or deleted, config created before the old goes, readers roll`, async () => {
        const previous = scenario.after === undefined ? base : await rendered(routine.find((s) => s.name === scenario.after) as Scenario);
        const head = await rendered(scenario);
        const result = plan(previous, head);
        assert.ok(result.changes.length > 0, `${stack}, ${scenario.name}: the change planned nothing (a wrong config key?)`);
        const destructive = result.changes.filter((c) => c.destructive && !nextReleaseJob(c, head, scenario.releaseTag));
        assert.equal(destructive.length, 0, `${stack}, ${scenario.name} plans:\n    ${describeChanges(destructive)}`);
        // A ConfigMap or Secret deleted before its successor exists fails every pod that starts in between.
        const deletedFirst = result.changes.filter((c) => isConfigObject(c) && c.op === "replace" && c.deleteBeforeReplace);
        assert.equal(deletedFirst.length, 0, `${stack}, ${scenario.name} deletes first:\n    ${describeChanges(deletedFirst)}`);
        if (scenario.name.startsWith("rotation of ")) {
          const secrets = result.changes.filter((c) => contentChanged(c) && kubernetesType(c.type)?.kind === "Secret");
          assert.ok(secrets.length > 0, `${stack}, ${scenario.name}: no Secret gets the new password`);
        }
        // The CloudNativePG Cluster follows a database role's new Secret and a larger volume by an update (the
        // operator applies the password, or resizes its instances' claims): never replaced, as asserted above.
        if (CLUSTER_UPDATES.some((prefix) => scenario.name.startsWith(prefix))) {
          const cluster = result.changes.find((c) => c.type === CLUSTER_TYPE && c.name === "cluster");
          assert.equal(cluster?.op, "update", `${stack}, ${scenario.name}: the Cluster is not updated:\n    ${describeChanges(result.changes)}`);
        }
        const stale = workloadsLeftStale(result, head);
        assert.equal(stale.length, 0, `${stack}, ${scenario.name}: workloads that would keep the old content: ${stale.join(", ")}`);
      });
    }

    for (const scenario of destructiveScenarios(stack)) {
      it(`${scenario.name}: planned as replacements`, async () => {
        const result = plan(base, await renderScenario(stack, scenario, base));
        const replaced = result.changes.filter((c) => c.op === "replace" && c.destructive).map((c) => kubernetesType(c.type)?.kind);
        const expected = scenario.name === "namespace rename" ? ["Namespace", "StatefulSet", "Deployment", "Service", "Cluster", "Pooler"] : ["Deployment"];
        for (const kind of expected) {
          assert.ok(replaced.includes(kind), `${stack}, ${scenario.name}: no ${kind} replaced:\n    ${describeChanges(result.changes)}`);
        }
      });
    }
  });
}
