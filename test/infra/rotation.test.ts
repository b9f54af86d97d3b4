import assert from "node:assert/strict";
import { StackConfigError } from "../../infra/config";
import { CREDENTIALS_ROTATION_ANNOTATION } from "../../infra/components/secrets";
import { checkPolicies, policyResources } from "../../infra/offline/policy";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { baseName, containersOf, findObject, podTemplates, rendered, type K8sObject, type PodTemplate } from "./helpers";

const ROTATION = { "secrets.rotation.jwtSecret": "2026-11-23" };
/** The Secrets whose data @pulumi/random generates (the receivers' and the S3 keys come from config). */
const GENERATED_SECRETS = [
  "postgres-role-app",
  "postgres-role-migration",
  "postgres-role-monitor",
  "postgres-role-backup",
  "redis-credentials",
  "api-credentials",
  "backup-credentials",
  "migration-credentials",
];

function randomPasswordInputs(stack: RenderedStack, name: string): K8sObject {
  const found = stack.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === name);
  assert.ok(found, `${stack.stack}: no RandomPassword ${name}`);
  return found.inputs;
}

function readsGeneratedSecret(template: PodTemplate): boolean {
  return containersOf(template.spec).some((c) =>
    (c.env ?? []).some((e: K8sObject) => GENERATED_SECRETS.includes(baseName(e.valueFrom?.secretKeyRef?.name ?? ""))),
  );
}

function rotationMarks(stack: RenderedStack): Map<string, string | undefined> {
  return new Map(podTemplates(stack).map((t) => [t.owner, t.annotations[CREDENTIALS_ROTATION_ANNOTATION]]));
}

describe("infrastructure: rotating a leaked secret", function () {
  this.timeout(120_000);

  let baseline: RenderedStack;
  let rotated: RenderedStack;
  before(async () => {
    baseline = await rendered("prod");
    rotated = await renderStack("prod", ROTATION);
  });

  it("gives the rotated password keepers with its rotation mark, and leaves the others alone", () => {
    assert.deepEqual(randomPasswordInputs(rotated, "jwt-signing-secret").keepers, { rotation: "2026-11-23" });
    assert.equal(randomPasswordInputs(baseline, "jwt-signing-secret").keepers, undefined);
    assert.equal(randomPasswordInputs(rotated, "redis-password").keepers, undefined);
  });

  it("rolls the API pods, and every other reader of a generated password", () => {
    const apiBefore = findObject(baseline, "Deployment", "api-blue").spec.template.metadata.annotations;
    const apiAfter = findObject(rotated, "Deployment", "api-blue").spec.template.metadata.annotations;
    assert.ok(apiBefore[CREDENTIALS_ROTATION_ANNOTATION], "the baseline carries the annotation, so adding a mark changes it");
    assert.notEqual(apiAfter[CREDENTIALS_ROTATION_ANNOTATION], apiBefore[CREDENTIALS_ROTATION_ANNOTATION]);

    const readers = podTemplates(baseline).filter(readsGeneratedSecret).map((t) => t.owner);
    for (const owner of ["Deployment", "StatefulSet", "Job", "CronJob"]) {
      assert.ok(readers.some((reader) => reader.startsWith(`${owner} `)), `a ${owner} reads a generated password`);
    }
    const before = rotationMarks(baseline);
    const after = rotationMarks(rotated);
    for (const owner of readers) {
      assert.ok(before.get(owner), `${owner} carries ${CREDENTIALS_ROTATION_ANNOTATION}`);
      assert.notEqual(after.get(owner), before.get(owner), `${owner} rolls on a rotation`);
    }
  });

  it("never puts a secret value in the annotation", () => {
    for (const stack of [baseline, rotated]) {
      const marks = [...rotationMarks(stack).values()].filter((mark): mark is string => mark !== undefined);
      assert.ok(marks.length > 0);
      for (const mark of marks) {
        assert.match(mark, /^[0-9a-f]{16}$/);
        for (const secret of [...stack.generatedSecrets, ...stack.secretValues]) {
          assert.ok(!secret.includes(mark), `${stack.stack}: a rotation annotation is part of a secret value`);
        }
      }
    }
  });

  it("rejects an unknown rotation key and an empty mark, naming key and stack", async () => {
    await assert.rejects(renderStack("staging", { "secrets.rotation.jwtSecrett": "2026-11-23" }), (error: Error) => {
      assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${error.name}`);
      assert.match(error.message, /stack "staging": config key "football-prediction:secrets\.rotation" has unknown key\(s\) "jwtSecrett"/);
      return true;
    });
    await assert.rejects(
      renderStack("dev", { "secrets.rotation.redisPassword": "" }),
      /stack "dev": config key "football-prediction:secrets\.rotation\.redisPassword" must not be empty/,
    );
  });

  it("lets the operator set each database role's password from its Secret, as soon as the Secret changes", async () => {
    const appRotated = await renderStack("prod", { "secrets.rotation.postgresAppPassword": "2026-12-06" });
    assert.deepEqual(randomPasswordInputs(appRotated, "postgres-app-password").keepers, { rotation: "2026-12-06" });
    const roleSecret = (r: RenderedStack, role: string) =>
      ((findObject(r, "Cluster", "postgres").spec.managed.roles as K8sObject[]).find((entry) => entry.name === role)?.passwordSecret as K8sObject).name as string;
    const secret = findObject(appRotated, "Secret", "postgres-role-app");
    // A new Secret, by its content name, and the Cluster's role pointing at it: an update of the Cluster, whose
    // bootstrap (which names the app Secret too) the stack leaves as created.
    assert.equal(roleSecret(appRotated, "app"), secret.metadata.name);
    assert.notEqual(roleSecret(appRotated, "app"), roleSecret(baseline, "app"));
    assert.equal(roleSecret(appRotated, "monitor"), roleSecret(baseline, "monitor"), "the other roles keep their Secrets");
    const cluster = appRotated.resources.find((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster" && r.name === "cluster");
    assert.deepEqual(cluster?.options.ignoreChanges, ["spec.bootstrap"]);
    assert.equal(secret.type, "kubernetes.io/basic-auth");
    assert.equal(secret.metadata.labels["cnpg.io/reload"], "true", "the operator watches it and applies a new password at once");
    // The readers of the password roll with it (their pod templates' rotation annotation).
    const api = (r: RenderedStack) => findObject(r, "Deployment", "api-blue").spec.template.metadata.annotations[CREDENTIALS_ROTATION_ANNOTATION];
    assert.notEqual(api(appRotated), api(baseline));
  });

  it("gives the superuser no password and replication no password at all: the operator's certificates do", () => {
    const cluster = findObject(rotated, "Cluster", "postgres").spec;
    assert.equal(cluster.enableSuperuserAccess, false);
    const names = (cluster.managed.roles as K8sObject[]).map((role) => role.name);
    assert.ok(!names.includes("postgres") && !names.includes("streaming_replica"));
  });

  it("keeps prod free of mandatory policy violations with a rotation set", async () => {
    const report = await checkPolicies("prod", policyResources(rotated));
    assert.deepEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
  });
});
