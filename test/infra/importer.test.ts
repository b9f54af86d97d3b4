import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { readFileSync } from "node:fs";
import path from "node:path";
import { STACKS, REPO_ROOT, offlineSecretValue } from "../../infra/offline/stackConfig";
import { checkPolicies, policyResources } from "../../infra/offline/policy";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { baseName, envOf, findObject, hasObject, objects, platformOf, podTemplates, rendered, type K8sObject } from "./helpers";

const API_KEY_CONFIG = "football-prediction:footballDataApiKey";
/** Set without --secret by mistake: the program must still treat it as one. */
const PLAIN_API_KEY = "0123456789abcdef0123456789abcdef";
const API_LEAGUES = [
  { league: "E0", source: "football-data-api", code: "PL" },
  { league: "D1", source: "openfootball", code: "de.1" },
];

/** The stack file's own importer settings, as committed. */
function stackImporter(stack: string): { schedule: string; leagues: Array<Record<string, string>>; egressCidrs: string[] } {
  const file = parse(readFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return file.config["football-prediction:importer"] as ReturnType<typeof stackImporter>;
}

const importContainer = (r: RenderedStack) => findObject(r, "CronJob", "import").spec.jobTemplate.spec.template.spec.containers[0];

describe("infrastructure: the import CronJob", function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    describe(stack, () => {
      let r: RenderedStack;
      before(async () => {
        r = await rendered(stack);
      });

      it("runs `import` from the active colour's image on the stack's schedule, one run at a time, bounded", () => {
        const cronJob = findObject(r, "CronJob", "import");
        const config = stackImporter(stack);
        assert.equal(cronJob.spec.schedule, config.schedule);
        assert.equal(cronJob.spec.timeZone, "Etc/UTC");
        assert.equal(cronJob.spec.concurrencyPolicy, "Forbid");
        assert.ok(cronJob.spec.startingDeadlineSeconds > 0);
        const job = cronJob.spec.jobTemplate.spec;
        assert.equal(job.activeDeadlineSeconds, 600);
        // The history limits keep the last runs for `kubectl logs`; a TTL would delete them behind those limits.
        assert.equal(job.ttlSecondsAfterFinished, undefined);
        assert.equal(cronJob.spec.successfulJobsHistoryLimit, 3);
        assert.equal(cronJob.spec.failedJobsHistoryLimit, 5);
        assert.equal(job.backoffLimit, 0);
        const container = importContainer(r);
        assert.deepEqual(container.args, ["import", "--trigger", "cron"]);
        assert.equal(container.image, findObject(r, "Deployment", "worker").spec.template.spec.containers[0].image);
        const leagues = config.leagues.map(({ league, source, code }) => `${league}:${source}:${code}`).join(",");
        assert.equal(envOf(container, "IMPORT_LEAGUES")?.value, leagues);
        assert.equal(container.envFrom.length, 1);
        assert.equal(baseName(container.envFrom[0].configMapRef.name), "api-config");
      });

      it("reads the database and Redis from the API's Secret, never holds the JWT secret, and pushes metrics only with monitoring", async () => {
        const container = importContainer(r);
        // The primary directly (DIRECT_DATABASE_URL): an import's statements outlast the pooled sessions' bound.
        for (const [name, key] of [["DATABASE_URL", "DIRECT_DATABASE_URL"], ["REDIS_URL", "REDIS_URL"]]) {
          const ref = envOf(container, name)?.valueFrom?.secretKeyRef;
          assert.deepEqual({ ...ref, name: baseName(ref?.name) }, { name: "api-credentials", key });
        }
        assert.equal(envOf(container, "JWT_SECRET"), undefined);
        assert.equal(envOf(container, "FOOTBALL_DATA_API_KEY"), undefined, "no league of the committed stacks uses the API");
        const monitoring = hasObject(r, "PrometheusRule", "football-prediction");
        const { pushgatewayUrl } = (await platformOf(stack)).monitoring;
        assert.equal(envOf(container, "PUSHGATEWAY_URL")?.value, monitoring ? pushgatewayUrl : undefined);
        assert.equal(envOf(container, "PUSHGATEWAY_NAMESPACE")?.value, monitoring ? `football-prediction-${stack}` : undefined);
      });

      it("runs under the restricted profile with its own ServiceAccount and no API token", () => {
        const [template] = podTemplates(r).filter((t) => t.labels["app.kubernetes.io/component"] === "importer");
        assert.equal(template.spec.serviceAccountName, "importer");
        assert.equal(template.spec.automountServiceAccountToken, false);
        assert.equal(template.spec.securityContext.runAsNonRoot, true);
        const security = importContainer(r).securityContext;
        assert.deepEqual([security.allowPrivilegeEscalation, security.readOnlyRootFilesystem, security.capabilities], [false, true, { drop: ["ALL"] }]);
      });

      it("may reach DNS, PostgreSQL, Redis, the Pushgateway with monitoring, and the sources on 443: nothing else", async () => {
        const policy = findObject(r, "NetworkPolicy", "allow-importer");
        assert.deepEqual(policy.spec.policyTypes, ["Egress"], "nothing may connect to it");
        const egress = policy.spec.egress as K8sObject[];
        const summary = egress.map((rule) => ({
          to: rule.to.map(
            (peer: K8sObject) =>
              peer.ipBlock?.cidr ??
              peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ??
              peer.podSelector?.matchLabels["app.kubernetes.io/component"],
          ),
          ports: rule.ports.map((port: K8sObject) => port.port),
        }));
        const { monitoring } = await platformOf(stack);
        assert.deepEqual(summary, [
          { to: ["database"], ports: [5432] },
          { to: ["cache"], ports: [6379] },
          { to: stackImporter(stack).egressCidrs, ports: [443] },
          ...(hasObject(r, "PrometheusRule", "football-prediction") ? [{ to: [monitoring.namespace], ports: [monitoring.pushgatewayPort] }] : []),
        ]);
        const postgresIngress = findObject(r, "NetworkPolicy", "allow-postgres").spec.ingress as K8sObject[];
        assert.ok(postgresIngress.some((rule) => rule.from.some((peer: K8sObject) => peer.podSelector?.matchLabels["app.kubernetes.io/component"] === "importer")));
      });
    });
  }

  describe("with a league on football-data.org's API", () => {
    let r: RenderedStack;
    before(async () => {
      r = await renderStack("prod", {
        "importer.leagues": API_LEAGUES,
        "importer.egressCidrs": ["185.199.108.0/22", "198.51.100.0/24"],
        footballDataApiKey: PLAIN_API_KEY,
      });
    });

    it("gives the CronJob the API key from a Secret of its own, made from secret config", () => {
      const ref = envOf(importContainer(r), "FOOTBALL_DATA_API_KEY")?.valueFrom?.secretKeyRef;
      assert.deepEqual({ ...ref, name: baseName(ref?.name) }, { name: "importer-credentials", key: "FOOTBALL_DATA_API_KEY" });
      assert.equal(envOf(importContainer(r), "IMPORT_LEAGUES")?.value, "E0:football-data-api:PL,D1:openfootball:de.1");
      const secret = r.resources.find((res) => res.type === "kubernetes:core/v1:Secret" && res.name === "importer-credentials");
      assert.ok(secret?.secretPaths.includes("stringData"));
    });

    it("never renders the key in a manifest or an output, even when it was set without --secret", () => {
      assert.ok(r.secretValues.includes(PLAIN_API_KEY), "the key reached the Secret as a Pulumi secret");
      assert.ok(!objects(r).map((m) => stringify(m.object)).join("---\n").includes(PLAIN_API_KEY));
      assert.ok(!JSON.stringify(r.outputs).includes(PLAIN_API_KEY));
    });

    it("set with --secret, the encrypted value reaches the Secret and nothing else", async () => {
      const encrypted = await renderStack("staging", { "importer.leagues": API_LEAGUES, footballDataApiKey: { secure: "encrypted" } });
      const value = offlineSecretValue(API_KEY_CONFIG);
      assert.ok(encrypted.secretValues.includes(value));
      assert.ok(!objects(encrypted).map((m) => stringify(m.object)).join("---\n").includes(value));
    });

    it("passes the prod policy pack", async () => {
      const report = await checkPolicies("prod", policyResources(r));
      assert.deepEqual(report.violations, []);
    });
  });

  describe("bad config fails naming the stack and key", () => {
    const rejects = async (overrides: Record<string, unknown>, problem: RegExp) =>
      assert.rejects(renderStack("test", overrides), (error: Error) => {
        assert.match(error.message, problem);
        return true;
      });

    it("asks for the API key when a league uses football-data.org, without echoing anything secret", async () => {
      await rejects(
        { "importer.leagues": API_LEAGUES },
        /stack "test": config key "football-prediction:footballDataApiKey" is required when importer\.leagues uses football-data-api: pulumi config set --secret footballDataApiKey <token>/,
      );
    });

    it("refuses a bad schedule, no leagues, an unknown source, a repeated league and an address that is not a CIDR", async () => {
      await rejects({ "importer.schedule": "every hour" }, /config key "football-prediction:importer\.schedule" must be a five-field cron expression/);
      await rejects({ "importer.leagues": [] }, /config key "football-prediction:importer\.leagues" must name at least one league/);
      await rejects({ "importer.leagues": [{ league: "E0", source: "bbc", code: "x" }] }, /importer\.leagues\[0\]\.source/);
      await rejects(
        { "importer.leagues": [API_LEAGUES[1], API_LEAGUES[1]] },
        /config key "football-prediction:importer\.leagues" names league D1 twice/,
      );
      await rejects({ "importer.egressCidrs": ["raw.githubusercontent.com"] }, /importer\.egressCidrs\[0\]" must be an IPv4 CIDR/);
      await rejects({ importer: undefined }, /config key "football-prediction:importer" is required/);
    });
  });
});
