import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { StackConfigError } from "../../infra/config";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { REPO_ROOT, STACKS } from "../../infra/offline/stackConfig";
import { findObject, READY_PROD, type K8sObject } from "./helpers";

/** What prod runs after the deploy workflow staged 2.4.0 on green and switched traffic to it. */
const LIVE = { active: "green", tags: { blue: "2.3.1", green: "2.4.0" } };
const COLOUR_LABEL = "football-prediction/colour";

function imageTag(stack: RenderedStack, deployment: string): string {
  const image: string = findObject(stack, "Deployment", deployment).spec.template.spec.containers[0].image;
  return image.slice(image.lastIndexOf(":") + 1);
}

function running(stack: RenderedStack): K8sObject {
  return {
    blue: imageTag(stack, "api-blue"),
    green: imageTag(stack, "api-green"),
    worker: imageTag(stack, "worker"),
    serviceSelects: findObject(stack, "Service", "api").spec.selector[COLOUR_LABEL],
  };
}

describe("infrastructure: the release record (one source of truth for what runs)", function () {
  this.timeout(120_000);

  it("records the release as a stack output, from the stack file on the first deployment", async () => {
    const first = await renderStack("prod");
    assert.deepEqual(first.outputs.release, { active: "blue", tags: { blue: "0.1.0", green: "0.1.0" } });
    assert.equal(first.outputs.releaseSource, "initial");
  });

  it("keeps the recorded tags and colour when `pulumi up` from a fresh checkout rotates a secret", async () => {
    const rotated = await renderStack(
      "prod",
      { ...READY_PROD, "secrets.rotation.postgresAppPassword": "2026-12-06" },
      { mode: "update", previousOutputs: { release: LIVE } },
    );
    assert.deepEqual(running(rotated), { blue: "2.3.1", green: "2.4.0", worker: "2.4.0", serviceSelects: "green" });
    assert.deepEqual(rotated.outputs.release, LIVE);
    assert.equal(rotated.outputs.releaseSource, "record");
  });

  it("keeps them when `pulumi up` from a fresh checkout changes an alert threshold", async () => {
    const changed = await renderStack(
      "prod",
      { ...READY_PROD, "monitoring.thresholds.errorRatio": 0.02 },
      { mode: "update", previousOutputs: { release: LIVE } },
    );
    assert.deepEqual(running(changed), { blue: "2.3.1", green: "2.4.0", worker: "2.4.0", serviceSelects: "green" });
  });

  it("ignores the committed image.tag and blueGreen once a release is recorded", async () => {
    const edited = await renderStack(
      "prod",
      { "image.tag": "0.1.0", "blueGreen.active": "blue", "blueGreen.tags.green": "0.0.9" },
      { previousOutputs: { release: LIVE } },
    );
    assert.deepEqual(running(edited), { blue: "2.3.1", green: "2.4.0", worker: "2.4.0", serviceSelects: "green" });
  });

  it("runs the release the deploy workflow sets, and records it", async () => {
    const staged = await renderStack(
      "prod",
      { release: { active: "green", tags: { blue: "2.5.0", green: "2.4.0" } } },
      { previousOutputs: { release: LIVE } },
    );
    assert.deepEqual(running(staged), { blue: "2.5.0", green: "2.4.0", worker: "2.4.0", serviceSelects: "green" });
    assert.deepEqual(staged.outputs.release, { active: "green", tags: { blue: "2.5.0", green: "2.4.0" } });
    assert.equal(staged.outputs.releaseSource, "config");
  });

  it("is never committed: no stack file sets release, so a checkout cannot pin an old one", () => {
    for (const stack of STACKS) {
      const config = (parse(readFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: object }).config;
      assert.ok(!Object.keys(config).includes("football-prediction:release"), stack);
    }
  });

  it("refuses a recorded release it cannot read, and a release config missing a tag, naming the stack", async () => {
    await assert.rejects(renderStack("prod", {}, { previousOutputs: { release: { active: "purple", tags: {} } } }), (error: Error) => {
      assert.ok(error instanceof StackConfigError);
      assert.match(error.message, /stack "prod": its recorded "release" output is not a release/);
      return true;
    });
    await assert.rejects(renderStack("prod", { release: { active: "green", tags: { green: "2.4.0" } } }), (error: Error) => {
      assert.ok(error instanceof StackConfigError);
      assert.match(error.message, /stack "prod": config key "football-prediction:release\.tags\.blue" is required/);
      return true;
    });
  });
});
