import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { parse } from "yaml";
import { alertGroups, receiverNames, renderAlertmanagerConfig } from "../../infra/observability";
import { freePort, sleep } from "../support/net";
import { run, runUnchecked } from "../support/processes";
import { TempDir } from "../support/tempDir";
import { requireTool, sampleSettings } from "./support";

interface Route {
  receiver: string;
  matchers?: string[];
  routes?: Route[];
}

interface AlertmanagerConfig {
  route: Route & { group_by: string[] };
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: Record<string, unknown>[];
}

/** Where amtool routes an alert with these labels; fails unless it is exactly `receiver`. */
async function assertRoute(configFile: string, labels: Record<string, string>, receiver: string): Promise<void> {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const result = await runUnchecked("amtool", ["config", "routes", "test", `--config.file=${configFile}`, `--verify.receivers=${receiver}`, ...args]);
  assert.equal(result.code, 0, `${args.join(" ")} should go to ${receiver}: ${result.output}`);
}

describe("observability: Alertmanager configuration", () => {
  before(() => requireTool("amtool"));

  for (const [name, settings] of Object.entries(sampleSettings)) {
    describe(name, () => {
      const rendered = renderAlertmanagerConfig(settings);
      let dir: TempDir;
      let configFile: string;
      before(() => {
        dir = new TempDir("fp-observability-");
        configFile = dir.write("alertmanager.yml", rendered);
      });
      after(() => dir.remove());

      it("passes amtool check-config", async () => {
        const output = await run("amtool", ["check-config", configFile]);
        assert.match(output, /SUCCESS/);
      });

      it("pages for critical alerts and sends warnings to chat (amtool config routes test)", async () => {
        const base = { environment: settings.environment, subsystem: "api" };
        await assertRoute(configFile, { ...base, alertname: "ServiceDown", severity: "critical" }, receiverNames.pager);
        await assertRoute(configFile, { ...base, alertname: "HighLatencyP95", severity: "warning" }, receiverNames.chat);
        await assertRoute(configFile, { ...base, alertname: "SomethingNew" }, receiverNames.chat);
      });

      it("routes every alert rule by its severity", async () => {
        const rules = alertGroups(settings).flatMap((g) => g.rules);
        await Promise.all(
          rules.map((rule) =>
            assertRoute(
              configFile,
              { alertname: rule.alert, severity: rule.severity, subsystem: rule.subsystem, environment: settings.environment },
              rule.severity === "critical" ? receiverNames.pager : receiverNames.chat,
            ),
          ),
        );
      });

      it("reads the receivers' secrets from the mounted files and holds none itself", () => {
        const config = parse(rendered) as AlertmanagerConfig;
        const pager = config.receivers.find((r) => r.name === receiverNames.pager) as { pagerduty_configs: Record<string, unknown>[] };
        const chat = config.receivers.find((r) => r.name === receiverNames.chat) as { slack_configs: Record<string, unknown>[] };
        assert.equal(pager.pagerduty_configs[0].routing_key_file, settings.receivers.pagerUrlFile);
        assert.equal(chat.slack_configs[0].api_url_file, settings.receivers.chatUrlFile);
        for (const secretKey of ["routing_key", "service_key", "api_url", "url", "slack_api_url"]) {
          assert.doesNotMatch(rendered, new RegExp(`^\\s*-?\\s*${secretKey}:`, "m"), `${secretKey} would hold a secret`);
        }
      });

      it("groups by alert, environment and subsystem, and inhibits a subsystem's warnings while its critical alert fires", () => {
        const config = parse(rendered) as AlertmanagerConfig;
        assert.deepEqual(config.route.group_by, ["alertname", "environment", "subsystem"]);
        assert.deepEqual(config.inhibit_rules, [
          { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["environment", "subsystem"] },
        ]);
      });
    });
  }

  describe("inhibition, run by a real Alertmanager", function () {
    this.timeout(30_000);
    const environment = sampleSettings["prod (defaults, three instances, continuous backups)"].environment;
    let dir: TempDir;
    let alertmanager: ChildProcess;
    let url: string;

    before(async () => {
      requireTool("prometheus-alertmanager");
      dir = new TempDir("fp-observability-");
      const settings = {
        ...sampleSettings["prod (defaults, three instances, continuous backups)"],
        receivers: { pagerUrlFile: dir.write("pager-key", "test-routing-key"), chatUrlFile: dir.write("chat-url", "http://127.0.0.1:9/hook") },
      };
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      alertmanager = spawn(
        "prometheus-alertmanager",
        [
          `--config.file=${dir.write("alertmanager.yml", renderAlertmanagerConfig(settings))}`,
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

    it("suppresses the warning that shares the critical alert's subsystem, and only that one", async () => {
      const alert = (alertname: string, severity: string, subsystem: string) => ({
        labels: { alertname, severity, subsystem, environment },
        annotations: { summary: alertname },
      });
      const posted = await fetch(`${url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          alert("PostgresDown", "critical", "postgres"),
          alert("PostgresConnectionSaturation", "warning", "postgres"),
          alert("RedisEvictions", "warning", "redis"),
        ]),
      });
      assert.equal(posted.status, 200);
      const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as {
        labels: Record<string, string>;
        status: { state: string; inhibitedBy: string[] };
      }[];
      const state = Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.status.state]));
      assert.deepEqual(state, { PostgresDown: "active", PostgresConnectionSaturation: "suppressed", RedisEvictions: "active" });
    });
  });
});
