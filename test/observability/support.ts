import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  defaultThresholds,
  renderAlertmanagerConfig,
  renderAlertRules,
  renderGrafanaDashboardProviders,
  renderGrafanaDashboards,
  renderGrafanaDatasources,
  renderPrometheusConfig,
  type ObservabilitySettings,
} from "../../infra/observability";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Two stacks that differ where it matters: a replica or not, every threshold moved, other namespaces and claims. */
export const sampleSettings: Record<string, ObservabilitySettings> = {
  "prod (defaults, replica)": {
    environment: "prod",
    namespace: "football-prediction-prod",
    ingressControllerNamespace: "ingress-nginx",
    scrapeInterval: "30s",
    evaluationInterval: "30s",
    alertmanagerUrl: "http://alertmanager:9093",
    pushgatewayUrl: "http://pushgateway:9091",
    postgresReplica: true,
    hpaMaxReplicas: 6,
    volumeClaims: { postgres: ["data-postgres-0", "data-postgres-replica-0"], redis: "data-redis-0", backups: "backups", prometheus: "data-prometheus-0" },
    backupsOnVolume: 35,
    thresholds: defaultThresholds,
    receivers: { pagerUrlFile: "/etc/alertmanager/secrets/pager-key", chatUrlFile: "/etc/alertmanager/secrets/chat-url" },
  },
  "staging (no replica, other thresholds)": {
    environment: "staging",
    namespace: "football-prediction-staging",
    ingressControllerNamespace: "edge-ingress",
    scrapeInterval: "1m",
    evaluationInterval: "1m",
    alertmanagerUrl: "http://alertmanager.monitoring.svc:9093/alertmanager/",
    pushgatewayUrl: "https://pushgateway.example.org/push",
    postgresReplica: false,
    hpaMaxReplicas: 3,
    volumeClaims: { postgres: ["pg-data-0"], redis: "cache-data-0", backups: "dumps", prometheus: "tsdb-0" },
    backupsOnVolume: 12,
    thresholds: {
      errorRatio: 0.05,
      latencyP95Seconds: 1,
      modelMaxAgeSeconds: 2 * 3600,
      backupMaxAgeSeconds: 8 * 24 * 3600,
      pvcUsageRatio: 0.9,
      postgresConnectionSaturation: 0.9,
      replicationLagSeconds: 300,
      longTransactionSeconds: 900,
      redisMemoryRatio: 0.95,
      cacheHitRatioMin: 0.2,
      predictionFailureRatio: 0.1,
      cpuLimitRatio: 0.95,
      memoryLimitRatio: 0.95,
    },
    receivers: { pagerUrlFile: "/run/secrets/pager", chatUrlFile: "/run/secrets/chat" },
  },
};

export const RULES_FILE = "football-prediction.rules.yml";

/** Every rendered file, under the names the cluster mounts them with. */
export function renderAll(s: ObservabilitySettings): Record<string, string> {
  return {
    "prometheus.yml": renderPrometheusConfig(s),
    [RULES_FILE]: renderAlertRules(s),
    "alertmanager.yml": renderAlertmanagerConfig(s),
    "datasources.yml": renderGrafanaDatasources(s),
    "dashboards.yml": renderGrafanaDashboardProviders(),
    ...renderGrafanaDashboards(s),
  };
}

export class TempDir {
  readonly path = mkdtempSync(path.join(tmpdir(), "fp-observability-"));

  write(name: string, content: string): string {
    const file = path.join(this.path, name);
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface RunResult {
  code: number;
  output: string;
}

/** Runs a tool to completion; resolves with its exit code and combined output instead of rejecting. */
export function run(command: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Fails the suite with a pointer to the setup script instead of a bare ENOENT. */
export function requireTool(name: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
  if (!found) throw new Error(`${name} is not on PATH; scripts/setup.sh installs it (Debian packages prometheus, prometheus-alertmanager)`);
}

export async function expectSuccess(command: string, args: string[], cwd?: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}:\n${result.output}`);
  return result.output;
}
