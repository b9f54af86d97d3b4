import assert from "node:assert/strict";
import { stringify } from "yaml";
import { checkPolicies, policyResources } from "../../infra/offline/policy";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { offlineSecretValue } from "../../infra/offline/stackConfig";
import { baseName, envOf, findObject, hasObject, objects, podTemplates, rendered, type K8sObject } from "./helpers";

const S3 = {
  endpoint: "https://objects.example.net:9443",
  bucket: "fp-prod-backups",
  region: "eu-central-1",
  cidrs: ["203.0.113.0/24"],
};
const ACCESS_KEY_ID = "football-prediction:backupS3AccessKeyId";
/** Set without --secret by mistake: the program must still treat it as one. */
const PLAIN_SECRET_ACCESS_KEY = "wJalrXUtnFEMI-plain-text-in-the-stack-file";

const S3_ENV = ["BACKUP_S3_ENDPOINT", "BACKUP_S3_BUCKET", "AWS_REGION", "BACKUP_S3_ACCESS_KEY_ID", "BACKUP_S3_SECRET_ACCESS_KEY"];

/** The containers of the backup, prune and verify CronJobs and the restore-verification Job. */
function backupContainers(r: RenderedStack): K8sObject[] {
  const templates = podTemplates(r).filter((t) => t.labels["app.kubernetes.io/component"] === "backup");
  assert.deepEqual(templates.map((t) => t.kind).sort(), ["CronJob", "CronJob", "CronJob", "Job"]);
  return templates.flatMap((t) => t.spec.containers);
}

function manifestText(r: RenderedStack): string {
  return objects(r).map((m) => stringify(m.object)).join("---\n");
}

describe("infrastructure: off-site backups to S3", function () {
  this.timeout(120_000);

  describe("unset (every stack file as it is)", () => {
    it("adds no S3 variables, Secret or egress", async () => {
      const r = await rendered("prod");
      for (const container of backupContainers(r)) {
        for (const name of S3_ENV) assert.equal(envOf(container, name), undefined, name);
      }
      assert.ok(!hasObject(r, "Secret", "backup-s3-credentials"));
      const egress = findObject(r, "NetworkPolicy", "allow-backup").spec.egress;
      assert.ok(egress.every((rule: K8sObject) => rule.to.every((peer: K8sObject) => peer.ipBlock === undefined)));
    });
  });

  describe("set", () => {
    let r: RenderedStack;
    before(async () => {
      r = await renderStack("prod", {
        "backups.s3": S3,
        backupS3AccessKeyId: { secure: "encrypted" },
        backupS3SecretAccessKey: PLAIN_SECRET_ACCESS_KEY,
      });
    });

    it("gives the backup, prune, verify and restore-verification pods the bucket, and its keys from a Secret", () => {
      for (const container of backupContainers(r)) {
        assert.equal(envOf(container, "BACKUP_S3_ENDPOINT")?.value, S3.endpoint);
        assert.equal(envOf(container, "BACKUP_S3_BUCKET")?.value, S3.bucket);
        assert.equal(envOf(container, "AWS_REGION")?.value, S3.region);
        for (const name of ["BACKUP_S3_ACCESS_KEY_ID", "BACKUP_S3_SECRET_ACCESS_KEY"]) {
          const ref = envOf(container, name)?.valueFrom?.secretKeyRef;
          assert.deepEqual({ ...ref, name: baseName(ref?.name) }, { name: "backup-s3-credentials", key: name });
        }
      }
      const api = findObject(r, "Deployment", "api-blue").spec.template.spec.containers[0];
      assert.equal(envOf(api, "BACKUP_S3_ACCESS_KEY_ID"), undefined, "only the backup jobs hold the bucket's keys");
      assert.equal(baseName((r.outputs.secretNames as Record<string, string>).backupS3), "backup-s3-credentials");
    });

    it("never puts a credential in a manifest or an output, whether or not it was set with --secret", () => {
      const secret = r.resources.find((res) => res.type === "kubernetes:core/v1:Secret" && res.name === "backup-s3-credentials");
      assert.ok(secret?.secretPaths.includes("stringData"));
      const text = manifestText(r);
      const outputs = JSON.stringify(r.outputs);
      for (const value of [offlineSecretValue(ACCESS_KEY_ID), PLAIN_SECRET_ACCESS_KEY]) {
        assert.ok(r.secretValues.includes(value), "the credential reached the Secret as a Pulumi secret");
        assert.ok(!text.includes(value), "a rendered manifest holds an S3 credential");
        assert.ok(!outputs.includes(value), "an output holds an S3 credential");
      }
    });

    it("opens the backup jobs' egress to the endpoint's addresses on its port, and nowhere else", () => {
      const egress = findObject(r, "NetworkPolicy", "allow-backup").spec.egress as K8sObject[];
      const toBucket = egress.filter((rule) => rule.to.some((peer: K8sObject) => peer.ipBlock !== undefined));
      assert.deepEqual(toBucket, [{ to: [{ ipBlock: { cidr: "203.0.113.0/24" } }], ports: [{ protocol: "TCP", port: 9443 }] }]);
    });

    it("passes the prod policy pack", async () => {
      const report = await checkPolicies("prod", policyResources(r));
      assert.deepEqual(report.violations, []);
    });
  });

  it("asks for both credentials when backups.s3 is set, naming the keys and not their values", async () => {
    await assert.rejects(renderStack("staging", { "backups.s3": S3, backupS3AccessKeyId: "AKIAEXAMPLEVALUE" }), (error: Error) => {
      assert.match(error.message, /stack "staging": config key "football-prediction:backupS3SecretAccessKey" is required when backups\.s3 is set/);
      assert.doesNotMatch(error.message, /backupS3AccessKeyId"|AKIAEXAMPLEVALUE/);
      return true;
    });
  });
});
