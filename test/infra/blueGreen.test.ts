import assert from "node:assert/strict";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { findObject, hasObject, rendered } from "./helpers";

function urnOf(stack: RenderedStack, type: string, name: string): string {
  const resource = stack.resources.find((r) => r.type === type && r.name === name);
  assert.ok(resource, `${type} ${name} exists`);
  return resource.urn;
}

function dependsOn(stack: RenderedStack, type: string, name: string): string[] {
  return stack.resources.find((r) => r.type === type && r.name === name)?.dependsOn ?? [];
}

const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("infrastructure: blue/green releases are config changes", function () {
  this.timeout(120_000);

  let blue: RenderedStack;
  let green: RenderedStack;
  let staged: RenderedStack;
  before(async () => {
    blue = await rendered("dev");
    green = await renderStack("dev", { "blueGreen.active": "green" });
    staged = await renderStack("dev", { "blueGreen.tags.green": "0.2.0" });
  });

  it("switches traffic by switching the active colour, and rolls back by switching again", () => {
    assert.equal(findObject(green, "Service", "api").spec.selector["football-prediction/colour"], "green");
    assert.equal(findObject(green, "Service", "api-preview").spec.selector["football-prediction/colour"], "blue");
    assert.equal(green.outputs.activeColour, "green");
    assert.equal(findObject(blue, "Service", "api").spec.selector["football-prediction/colour"], "blue");
    // Both colours keep running either way: a switch needs no new pods, so it is instant.
    for (const stack of [blue, green]) {
      assert.ok(hasObject(stack, "Deployment", "api-blue") && hasObject(stack, "Deployment", "api-green"));
    }
  });

  it("stages a release on the idle colour, migrated after the running one", () => {
    const image = (name: string) => findObject(staged, "Deployment", name).spec.template.spec.containers[0].image;
    assert.match(image("api-green"), /:0\.2\.0$/);
    assert.match(image("api-blue"), /:0\.1\.0$/);
    assert.match(image("worker"), /:0\.1\.0$/, "the worker runs the active colour's release");
    const running = urnOf(staged, JOB, "migrate-0-1-0");
    const next = urnOf(staged, JOB, "migrate-0-2-0");
    assert.ok(dependsOn(staged, JOB, "migrate-0-2-0").includes(running));
    assert.ok(dependsOn(staged, DEPLOYMENT, "api-green").includes(next));
    assert.ok(dependsOn(staged, DEPLOYMENT, "api-blue").includes(running));
    assert.equal(findObject(staged, "Service", "api").spec.selector["football-prediction/colour"], "blue");
  });

  it("moves the worker and backups with the active colour", () => {
    const switched = findObject(green, "Deployment", "worker").spec.template.spec.containers[0].image;
    assert.match(switched, /:0\.1\.0$/);
    const promoted = renderStack("dev", { "blueGreen.active": "green", "blueGreen.tags.green": "0.2.0" });
    return promoted.then((stack) => {
      assert.match(findObject(stack, "Deployment", "worker").spec.template.spec.containers[0].image, /:0\.2\.0$/);
      assert.match(findObject(stack, "CronJob", "backup").spec.jobTemplate.spec.template.spec.containers[0].image, /:0\.2\.0$/);
      assert.ok(dependsOn(stack, DEPLOYMENT, "worker").includes(urnOf(stack, JOB, "migrate-0-2-0")));
    });
  });
});
