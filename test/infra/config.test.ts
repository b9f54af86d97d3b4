import assert from "node:assert/strict";
import { parseSettings, PROJECT, StackConfigError, type Settings } from "../../infra/config";
import { renderStack } from "../../infra/offline/render";
import { loadStackConfig, STACKS } from "../../infra/offline/stackConfig";

/** Validates a stack file with `overrides` applied (keys as for `pulumi config set --path`). */
function settingsWith(stack: string, overrides: Record<string, unknown>): Settings {
  const { values } = loadStackConfig(stack, overrides);
  return parseSettings(stack, (key) => values[`${PROJECT}:${key}`]);
}

function rejects(stack: string, overrides: Record<string, unknown>, message: RegExp): void {
  assert.throws(() => settingsWith(stack, overrides), (error: Error) => {
    assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${error.name}`);
    assert.match(error.message, message);
    return true;
  });
}

describe("infrastructure: stack config validation", function () {
  this.timeout(60_000);

  it("accepts the four stack files as they are", () => {
    for (const stack of STACKS) {
      assert.equal(settingsWith(stack, {}).namespace, `football-prediction-${stack}`);
    }
  });

  it("applies Pulumi.yaml defaults that a stack file leaves out", () => {
    const settings = settingsWith("dev", {});
    assert.equal(settings.imageRepository, "ghcr.io/football-prediction/service");
    assert.equal(settings.priorityClassName, undefined);
  });

  it("names the stack and key of a missing key", () => {
    rejects("prod", { api: undefined }, /^stack "prod": config key "football-prediction:api" is required/m);
    rejects("test", { "database.poolMax": undefined }, /stack "test": config key "football-prediction:database\.poolMax" is required/);
    rejects("dev", { namespace: undefined }, /stack "dev": config key "football-prediction:namespace" is required/);
  });

  it("names the stack and key of a value of the wrong type", () => {
    rejects("staging", { "api.minReplicas": "three" }, /stack "staging": config key "football-prediction:api\.minReplicas" .*expected number, received string/);
    rejects("dev", { "protection.protect": "yes" }, /stack "dev": config key "football-prediction:protection\.protect" .*expected boolean/);
    rejects("prod", { logLevel: "loud" }, /stack "prod": config key "football-prediction:logLevel" /);
  });

  it("rejects replicas below 1 and bounds that cross", () => {
    rejects("prod", { "api.minReplicas": 0 }, /stack "prod": config key "football-prediction:api\.minReplicas" .*>=1/);
    rejects("prod", { "api.maxReplicas": 2 }, /stack "prod": config key "football-prediction:api\.maxReplicas" must be at least api\.minReplicas/);
  });

  it("checks the page's tier like the API's: replicas, bounds, CPU target and resources", () => {
    assert.equal(settingsWith("prod", {}).web.minReplicas, 2);
    rejects("prod", { "web.minReplicas": 0 }, /stack "prod": config key "football-prediction:web\.minReplicas" .*>=1/);
    rejects("staging", { "web.maxReplicas": 1 }, /stack "staging": config key "football-prediction:web\.maxReplicas" must be at least web\.minReplicas/);
    rejects("dev", { "web.cpuUtilization": 120 }, /stack "dev": config key "football-prediction:web\.cpuUtilization" /);
    rejects("test", { "web.resources.limits.memory": "lots" }, /stack "test": config key "football-prediction:web\.resources\.limits\.memory" must be a Kubernetes quantity/);
    rejects("test", { web: undefined }, /stack "test": config key "football-prediction:web" is required/);
  });

  it("rejects the latest tag, for the release and for a staged colour", () => {
    rejects("prod", { "image.tag": "latest" }, /stack "prod": config key "football-prediction:image\.tag" must not be "latest"/);
    rejects("dev", { "blueGreen.tags.green": "latest" }, /stack "dev": config key "football-prediction:blueGreen\.tags\.green" must not be "latest"/);
  });

  it("rejects misspelt keys instead of ignoring them", () => {
    rejects("test", { "api.minReplica": 2 }, /stack "test": config key "football-prediction:api" .*minReplica/);
  });

  it("checks that each pooler instance can take every API pool", () => {
    // prod: poolMax 20 × (api.maxReplicas 10 + api.minReplicas 3)
    rejects("prod", { "database.pooler.maxClientConnections": 100 }, /config key "football-prediction:database\.pooler\.maxClientConnections" must be at least 260/);
  });

  it("derives max_connections from the pooler and the direct pools, in steps, never below PostgreSQL's default", () => {
    // prod: 3 pooler instances × 25 + 3 direct clients × poolMax 20 + 10 = 145, rounded up to a step of 20.
    assert.equal(settingsWith("prod", {}).database.maxConnections, 160);
    // The API reaches PostgreSQL through PgBouncer: the README's example raises the replicas, not the limit.
    assert.equal(settingsWith("prod", { "api.maxReplicas": 12 }).database.maxConnections, 160);
    // 75 + 3 × 40 + 10 = 205.
    assert.equal(settingsWith("prod", { "database.poolMax": 40, "database.pooler.maxClientConnections": 520 }).database.maxConnections, 220);
    assert.equal(settingsWith("prod", { "database.pooler.defaultPoolSize": 50 }).database.maxConnections, 220);
    assert.equal(settingsWith("dev", {}).database.maxConnections, 100);
  });

  it("takes the image repository from the one project-wide setting, refusing it per stack", () => {
    for (const stack of STACKS) assert.equal(settingsWith(stack, {}).imageRepository, "ghcr.io/football-prediction/service");
    rejects("prod", { "image.repository": "ghcr.io/fork/service" }, /config key "football-prediction:image" must not set repository: the image repository is the project-wide imageRepository/);
    rejects("dev", { imageRepository: "ghcr.io/Fork/service" }, /config key "football-prediction:imageRepository" must be an image repository without a tag/);
  });

  it("tells a stack file that still sets maxConnections that it is derived", () => {
    rejects("prod", { "database.maxConnections": 320 }, /config key "football-prediction:database" must not set maxConnections: max_connections is derived/);
  });

  it("keeps synchronous standbys below the instance count, and recovery to stacks with an object store", () => {
    rejects("prod", { "database.synchronous.number": 3 }, /config key "football-prediction:database\.synchronous\.number" must be below database\.instances/);
    rejects(
      "dev",
      { "database.recovery": { targetTime: "2026-12-06T11:04:05Z", sourceCluster: "postgres" } },
      /config key "football-prediction:database\.recovery" needs backups\.s3/,
    );
    rejects("prod", { "database.recovery": { targetTime: "yesterday", sourceCluster: "postgres" } }, /config key "football-prediction:database\.recovery\.targetTime" /);
  });

  it("names one of the platform's issuers, and a platform stack of the platform project", () => {
    rejects("prod", { "ingress.tls": { issuer: "acme" } }, /config key "football-prediction:ingress\.tls\.issuer" /);
    assert.equal(settingsWith("prod", { "ingress.tls": { issuer: "self-signed" } }).ingress.tls.issuer, "self-signed");
    rejects("prod", { "platform.stack": "org/other-project/prod" }, /config key "football-prediction:platform\.stack" must be a platform stack's fully qualified name/);
  });

  it("checks the S3 bucket of off-site backups, and keeps credentials out of its endpoint", () => {
    const s3 = {
      endpoint: "https://objects.example.net",
      bucket: "fp-backups",
      cidrs: ["203.0.113.0/24"],
      encryption: "AES256",
      baseBackupSchedule: "0 0 * * *",
    };
    assert.equal(settingsWith("prod", { "backups.s3": s3 }).backups.s3?.bucket, "fp-backups");
    rejects("prod", { "backups.s3": { ...s3, bucket: "FP_Backups" } }, /config key "football-prediction:backups\.s3\.bucket" must be an S3 bucket name/);
    rejects(
      "prod",
      { "backups.s3": { ...s3, endpoint: "https://key:hunter2@objects.example.net" } },
      /^(?![\s\S]*hunter2)[\s\S]*config key "football-prediction:backups\.s3\.endpoint" must not hold credentials/,
    );
    rejects("prod", { "backups.s3": { ...s3, cidrs: [] } }, /config key "football-prediction:backups\.s3\.cidrs" /);
    rejects("prod", { "backups.s3": { ...s3, encryption: undefined } }, /config key "football-prediction:backups\.s3\.encryption" /);
  });

  it("fails the program itself with the same messages", async () => {
    await assert.rejects(
      renderStack("prod", { "image.tag": "latest", "api.minReplicas": 0 }),
      (error: Error) => {
        assert.match(error.message, /stack "prod": config key "football-prediction:image\.tag" must not be "latest"/);
        assert.match(error.message, /stack "prod": config key "football-prediction:api\.minReplicas"/);
        return true;
      },
    );
  });
});
