import assert from "node:assert/strict";
import { StackConfigError } from "../../infra/config";
import { renderStack } from "../../infra/offline/render";
import { publiclyIssuable } from "../../infra/readiness";
import { READY_PROD } from "./helpers";

const KEY = (key: string) => `config key "football-prediction:${key}"`;

describe("infrastructure: deployment readiness (warnings in a preview, refusal by pulumi up)", function () {
  this.timeout(120_000);

  it("warns in a preview of the shipped prod file, naming stack and every key a team must set", async () => {
    const r = await renderStack("prod");
    const expected = ["pagerRoutingKey", "chatWebhookUrl", "ingress.host"];
    for (const key of expected) {
      assert.ok(
        r.warnings.some((w) => w.includes(`stack "prod": ${KEY(key)}`)),
        `a warning names ${key}: ${r.warnings.join("\n")}`,
      );
    }
    assert.ok(r.resources.length > 100, "a preview still renders everything");
  });

  it("refuses pulumi up of the same file, with every problem", async () => {
    await assert.rejects(renderStack("prod", {}, { mode: "update" }), (error: Error) => {
      assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${error.name}`);
      assert.match(error.message, /^stack "prod" is not ready to deploy/);
      for (const key of ["pagerRoutingKey", "ingress.host"]) {
        assert.ok(error.message.includes(`stack "prod": ${KEY(key)}`), key);
      }
      return true;
    });
  });

  it("lets pulumi up through once the keys are set", async () => {
    const r = await renderStack("prod", READY_PROD, { mode: "update" });
    assert.deepEqual(r.warnings, []);
    assert.ok(r.resources.length > 100);
  });

  it("refuses an ACME issuer on a host no public CA issues for, in any stack", async () => {
    await assert.rejects(
      renderStack("prod", { ...READY_PROD, "ingress.host": "api.fp-prod.internal" }, { mode: "update" }),
      (error: Error) => error.message.includes(`${KEY("ingress.host")} is api.fp-prod.internal, which no public CA issues for`),
    );
    for (const host of ["staging.fp.local", "a.internal", "b.test", "c.example", "d.invalid", "localhost", "e.lan", "www.example.com"]) {
      assert.equal(publiclyIssuable(host), false, host);
    }
    for (const host of ["api.kickoff-odds.net", "football.co.uk", "x.example-football.com"]) {
      assert.equal(publiclyIssuable(host), true, host);
    }
  });

  it("requires both alert receivers in staging and prod, and the S3 copies in prod only", async () => {
    const { pagerRoutingKey: _pager, ...withoutPager } = READY_PROD;
    await assert.rejects(renderStack("prod", withoutPager, { mode: "update" }), (error: Error) =>
      error.message.includes(`${KEY("pagerRoutingKey")} must be set in prod`),
    );
    // The shipped prod file archives to S3 already (CloudNativePG's WAL and base backups, the dumps' copies).
    await assert.rejects(
      renderStack("prod", { ...READY_PROD, "backups.s3": undefined, "database.recovery": undefined }, { mode: "update" }),
      (error: Error) => error.message.includes(`${KEY("backups.s3")} must be set in prod`),
    );
    const staging = await renderStack("staging");
    assert.ok(staging.warnings.some((w) => w.includes(KEY("chatWebhookUrl"))));
    assert.ok(!staging.warnings.some((w) => w.includes(KEY("backups.s3"))), "staging may keep its backups on the cluster");
  });

  it("leaves dev alone: its placeholders are what a developer cluster uses", async () => {
    const dev = await renderStack("dev", {}, { mode: "update" });
    assert.deepEqual(dev.warnings, []);
  });

  it("treats the test stack's shipped host as a placeholder too", async () => {
    const test = await renderStack("test");
    for (const key of ["ingress.host"]) {
      assert.ok(test.warnings.some((w) => w.includes(`stack "test": ${KEY(key)}`)), key);
    }
  });
});
