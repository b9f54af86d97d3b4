import { defaultThresholds, type ObservabilitySettings, type ReceiverSecrets } from "../../infra/observability";
import { which } from "../support/processes";

/**
 * Two stacks that differ where it matters: three CloudNativePG instances with continuous backups or one without,
 * every threshold moved, other namespaces and claims.
 */
export const sampleSettings: Record<string, ObservabilitySettings> = {
  "prod (defaults, three instances, continuous backups)": {
    environment: "prod",
    namespace: "football-prediction-prod",
    scrapeInterval: "30s",
    evaluationInterval: "30s",
    postgresCluster: "postgres",
    postgresInstances: 3,
    continuousBackups: true,
    volumeClaims: { postgres: "postgres-[0-9]+", redis: "data-redis-0", backups: "backups" },
    thresholds: defaultThresholds,
  },
  "staging (one instance, no object store, other thresholds)": {
    environment: "staging",
    namespace: "football-prediction-staging",
    scrapeInterval: "1m",
    evaluationInterval: "1m",
    postgresCluster: "pg",
    postgresInstances: 1,
    continuousBackups: false,
    volumeClaims: { postgres: "pg-[0-9]+(-wal)?", redis: "cache-data-0", backups: "dumps" },
    thresholds: {
      errorRatio: 0.05,
      latencyP95Seconds: 1,
      modelMaxAgeSeconds: 2 * 3600,
      backupMaxAgeSeconds: 8 * 24 * 3600,
      pvcUsageRatio: 0.9,
      postgresConnectionSaturation: 0.9,
      replicationLagSeconds: 300,
      baseBackupMaxAgeSeconds: 8 * 24 * 3600,
      longTransactionSeconds: 900,
      importMaxAgeSeconds: 6 * 3600,
      redisMemoryRatio: 0.95,
      cacheHitRatioMin: 0.2,
      predictionFailureRatio: 0.1,
      cpuLimitRatio: 0.95,
      memoryLimitRatio: 0.95,
    },
  },
};

/** The receivers' Secrets of the two samples, by the same names: one Secret for both, or one each. */
export const sampleReceivers: Record<string, ReceiverSecrets> = {
  "prod (defaults, three instances, continuous backups)": {
    pager: { name: "alert-receivers", key: "pager-routing-key" },
    chat: { name: "alert-receivers", key: "chat-webhook-url" },
  },
  "staging (one instance, no object store, other thresholds)": {
    pager: { name: "staging-pager", key: "pager" },
    chat: { name: "staging-chat", key: "chat" },
  },
};

export const RULES_FILE = "football-prediction.rules.yml";

/** Fails the suite with a pointer to the setup script instead of a bare ENOENT. */
export function requireTool(name: string): void {
  if (which(name) === undefined) throw new Error(`${name} is not on PATH; scripts/setup.sh installs it (Debian packages prometheus, prometheus-alertmanager)`);
}

