import assert from "node:assert/strict";
import { StackConfigError } from "../../infra/config";
import { CREDENTIALS_ROTATION_ANNOTATION } from "../../infra/components/secrets";
import { imageUsers } from "../../infra/images";
import { restrictedContainerSecurity } from "../../infra/k8s";
import { checkPolicies, policyResources } from "../../infra/offline/policy";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { baseName, containersOf, envOf, findObject, podTemplates, rendered, type K8sObject, type PodTemplate } from "./helpers";

const ROTATION = { "secrets.rotation.jwtSecret": "2026-11-23" };
/** The Secrets whose data @pulumi/random generates (the receivers' and the S3 keys come from config). */
const GENERATED_SECRETS = ["postgres-credentials", "redis-credentials", "api-credentials", "backup-credentials", "grafana-credentials"];

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

  it("syncs every role's password on the primary's existing data before it starts, as restricted as the server", () => {
    const primary = findObject(rotated, "StatefulSet", "postgres").spec.template.spec;
    const sync = (primary.initContainers ?? []).find((c: K8sObject) => c.name === "sync-passwords");
    assert.ok(sync, "the primary has the sync-passwords initContainer");
    assert.equal(sync.image, primary.containers[0].image);
    assert.deepEqual(sync.securityContext, restrictedContainerSecurity(imageUsers.postgres));
    assert.ok(sync.volumeMounts.some((m: K8sObject) => m.name === "data" && m.mountPath === "/var/lib/postgresql/data"));

    const script: string = sync.command.join(" ");
    assert.match(script, /if \[ ! -s "\$PGDATA\/PG_VERSION" \]; then exit 0; fi/, "a fresh volume is left to the init script");
    assert.match(script, /postgres --single -D "\$PGDATA"/);
    assert.match(script, /\*\[!A-Za-z0-9\]\*\) .*exit 1/, "refuses a password that is not alphanumeric");
    for (const [role, variable] of [
      ["postgres", "POSTGRES_PASSWORD"],
      ["app", "APP_PASSWORD"],
      ["replicator", "REPLICATION_PASSWORD"],
      ["monitor", "MONITOR_PASSWORD"],
      ["backup", "BACKUP_PASSWORD"],
    ]) {
      assert.ok(script.includes(`ALTER ROLE "${role}" PASSWORD '$${variable}';`), `sets ${role}'s password`);
      assert.ok(envOf(sync, variable)?.valueFrom?.secretKeyRef, `${variable} comes from the Secret`);
    }
  });

  it("lets the standby authenticate with the replication password of its environment", () => {
    const standby = findObject(rotated, "StatefulSet", "postgres-replica").spec.template.spec.containers[0];
    const ref = envOf(standby, "PGPASSWORD")?.valueFrom?.secretKeyRef;
    assert.deepEqual({ ...ref, name: baseName(ref?.name) }, { name: "postgres-credentials", key: "replication-password" });
    const conninfo = (standby.args as string[]).find((arg) => arg.startsWith("primary_conninfo="));
    assert.match(conninfo ?? "", /^primary_conninfo=host=postgres port=5432 user=replicator$/);
  });

  it("keeps prod free of mandatory policy violations with a rotation set", async () => {
    const report = await checkPolicies("prod", policyResources(rotated));
    assert.deepEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
  });
});
