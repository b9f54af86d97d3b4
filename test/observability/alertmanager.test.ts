import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { stringify } from "yaml";
import {
  alertGroups,
  alertmanagerConfigSpec,
  operatorAlertmanagerConfig,
  receiverNames,
  type AlertmanagerConfigObject,
  type AlertmanagerYaml,
  type ObservabilitySettings,
  type ReceiverSecrets,
  type SecretLookup,
} from "../../infra/observability";
import { ALERTMANAGER_BASE_CONFIG } from "../../platform/components/alertmanagerBase";
import { assertValidAgainstCrds } from "./crdCheck";
import { freePort, sleep } from "../support/net";
import { run, runUnchecked } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, sampleReceivers, sampleSettings } from "./support";

/** The AlertmanagerConfig's name in the stack's namespace (any name does: the operator prefixes it). */
const OBJECT_NAME = "football-prediction";

/** The cluster Alertmanager's own configuration, as the platform project sets it, copied out of its read-only form. */
const platformBase: AlertmanagerYaml = structuredClone(ALERTMANAGER_BASE_CONFIG) as unknown as AlertmanagerYaml;

/**
 * Stand-ins for the Secret's values, never real ones: one URL per namespace, Secret and key (a URL, as the chat
 * webhook must be one; the pager's routing key may be any string), so a test can tell where each came from.
 */
const fakeSecrets: SecretLookup = (namespace, ref) => `http://127.0.0.1:9/${namespace}/${ref.name}/${ref.key}`;

/** Another team's environment on the same Alertmanager, with the same routing: its alerts must stay its own. */
function otherTeam(secrets: ReceiverSecrets): AlertmanagerConfigObject {
  return { namespace: "other-team", name: "alerts", spec: alertmanagerConfigSpec(secrets) };
}

function derived(s: ObservabilitySettings, secrets: ReceiverSecrets): AlertmanagerYaml {
  const own = { namespace: s.namespace, name: OBJECT_NAME, spec: alertmanagerConfigSpec(secrets) };
  return operatorAlertmanagerConfig(platformBase, [own, otherTeam(secrets)], fakeSecrets);
}

function receiverOf(s: ObservabilitySettings, name: string): string {
  return `${s.namespace}/${OBJECT_NAME}/${name}`;
}

/** Where amtool routes an alert with these labels; fails unless it is exactly `receiver`. */
async function assertRoute(configFile: string, labels: Record<string, string>, receiver: string): Promise<void> {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const result = await runUnchecked("amtool", ["config", "routes", "test", `--config.file=${configFile}`, `--verify.receivers=${receiver}`, ...args]);
  assert.equal(result.code, 0, `${args.join(" ")} should go to ${receiver}: ${result.output}`);
}

describe("observability: the AlertmanagerConfig and the configuration the operator derives", () => {
  before(() => requireTool("amtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const secrets = sampleReceivers[name];
      const spec = alertmanagerConfigSpec(secrets);
      const config = derived(settings, secrets);
      const ns = settings.namespace;
      let dir: TempDir;
      let configFile: string;
      before(() => {
        dir = new TempDir("fp-observability-");
        configFile = dir.write("alertmanager.yml", stringify(config));
      });
      after(() => dir.remove());

      it("passes the AlertmanagerConfig CRD schema", () => {
        assertValidAgainstCrds([
          { apiVersion: "monitoring.coreos.com/v1alpha1", kind: "AlertmanagerConfig", metadata: { name: OBJECT_NAME, namespace: ns }, spec },
        ]);
      });

      it("names the receivers' Secret and keys and holds no secret itself", () => {
        const pager = spec.receivers.find((r) => r.name === receiverNames.pager);
        const chat = spec.receivers.find((r) => r.name === receiverNames.chat);
        assert.deepEqual(pager?.pagerdutyConfigs?.map((p) => p.routingKey), [secrets.pager]);
        assert.deepEqual(chat?.slackConfigs?.map((c) => c.apiURL), [secrets.chat]);
        assert.doesNotMatch(JSON.stringify(spec), /127\.0\.0\.1/);
      });

      it("derives a configuration that passes amtool check-config, with the Secret's values in place", async () => {
        assert.match(await run("amtool", ["check-config", configFile]), /SUCCESS/);
        const pager = config.receivers.find((r) => r.name === receiverOf(settings, receiverNames.pager)) as { pagerduty_configs: { routing_key: string }[] };
        assert.equal(pager.pagerduty_configs[0].routing_key, fakeSecrets(ns, secrets.pager));
      });

      it("pages for the namespace's critical alerts and sends its warnings and the rest to chat (amtool config routes test)", async () => {
        const base = { namespace: ns, environment: settings.environment, subsystem: "api" };
        await assertRoute(configFile, { ...base, alertname: "ServiceDown", severity: "critical" }, receiverOf(settings, receiverNames.pager));
        await assertRoute(configFile, { ...base, alertname: "HighLatencyP95", severity: "warning" }, receiverOf(settings, receiverNames.chat));
        await assertRoute(configFile, { ...base, alertname: "SomethingNew" }, receiverOf(settings, receiverNames.chat));
      });

      it("keeps other namespaces' alerts and the platform's away from this environment's receivers", async () => {
        const alert = { alertname: "ServiceDown", severity: "critical", environment: settings.environment, subsystem: "api" };
        await assertRoute(configFile, { ...alert, namespace: "other-team" }, "other-team/alerts/pager");
        await assertRoute(configFile, { ...alert, namespace: "kube-system" }, "null");
        await assertRoute(configFile, { alertname: "Watchdog", severity: "none" }, "null");
      });

      it("routes every alert rule by its severity", async () => {
        const rules = alertGroups(settings).flatMap((g) => g.rules);
        await Promise.all(
          rules.map((rule) =>
            assertRoute(
              configFile,
              { alertname: rule.alert, severity: rule.severity, subsystem: rule.subsystem, environment: settings.environment, namespace: ns },
              receiverOf(settings, rule.severity === "critical" ? receiverNames.pager : receiverNames.chat),
            ),
          ),
        );
      });

      it("groups by alert, environment and subsystem, and inhibits within the namespace only", () => {
        const own = config.route.routes?.[0];
        assert.deepEqual(own?.matchers, [`namespace="${ns}"`]);
        assert.equal(own?.continue, true, "alerts still reach the platform's routes");
        assert.deepEqual(own?.group_by, ["alertname", "environment", "subsystem"]);
        assert.deepEqual(config.inhibit_rules?.slice(platformBase.inhibit_rules?.length), [
          {
            source_matchers: ['severity="critical"', `namespace="${ns}"`],
            target_matchers: ['severity="warning"', `namespace="${ns}"`],
            equal: ["environment", "subsystem"],
          },
          {
            source_matchers: ['severity="critical"', 'namespace="other-team"'],
            target_matchers: ['severity="warning"', 'namespace="other-team"'],
            equal: ["environment", "subsystem"],
          },
        ]);
      });
    });
  }

  it("refuses a route whose receiver the object does not define, as the operator does", () => {
    const name = "prod (defaults, three instances, continuous backups)";
    const s = sampleSettings[name];
    const spec = alertmanagerConfigSpec(sampleReceivers[name]);
    const broken = { ...spec, route: { ...spec.route, receiver: "nobody" } };
    assert.throws(() => operatorAlertmanagerConfig(platformBase, [{ namespace: s.namespace, name: OBJECT_NAME, spec: broken }], fakeSecrets), /"nobody"/);
  });

  describe("inhibition, run by a real Alertmanager on the derived configuration", function () {
    this.timeout(30_000);
    const sample = "prod (defaults, three instances, continuous backups)";
    const settings = sampleSettings[sample];
    let dir: TempDir;
    let alertmanager: ChildProcess;
    let url: string;

    before(async () => {
      requireTool("prometheus-alertmanager");
      dir = new TempDir("fp-observability-");
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      alertmanager = spawn(
        "prometheus-alertmanager",
        [
          `--config.file=${dir.write("alertmanager.yml", stringify(derived(settings, sampleReceivers[sample])))}`,
          `--storage.path=${path.join(dir.path, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // An empty address turns clustering off: no gossip port, no waiting for peers.
          "--cluster.listen-address=",
        ],
        { stdio: "ignore" },
      );
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`${url}/-/ready`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline || alertmanager.exitCode !== null) throw new Error("alertmanager did not become ready");
        await sleep(200);
      }
    });

    after(async () => {
      if (alertmanager?.exitCode === null) {
        alertmanager.kill("SIGTERM");
        await once(alertmanager, "exit");
      }
      dir?.remove();
    });

    it("suppresses the warning that shares the critical alert's namespace and subsystem, and only that one", async () => {
      const alert = (alertname: string, severity: string, subsystem: string, namespace = settings.namespace) => ({
        labels: { alertname, severity, subsystem, namespace, environment: settings.environment },
        annotations: { summary: alertname },
      });
      const posted = await fetch(`${url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          alert("PostgresDown", "critical", "postgres"),
          alert("PostgresConnectionSaturation", "warning", "postgres"),
          alert("RedisEvictions", "warning", "redis"),
          alert("PostgresReplicationLag", "warning", "postgres", "other-team"),
        ]),
      });
      assert.equal(posted.status, 200);
      const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { state: string } }[];
      const state = Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.status.state]));
      assert.deepEqual(state, {
        PostgresDown: "active",
        PostgresConnectionSaturation: "suppressed",
        RedisEvictions: "active",
        PostgresReplicationLag: "active",
      });
    });
  });
});
