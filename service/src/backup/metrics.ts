import type { Logger } from "../logger";
import { pushgatewayGroupUrl, type PushTarget } from "../pushgateway";

/** The gauges of docs/service-interface.md; each command pushes the ones it owns. */
export type BackupMetricName =
  | "backup_last_success_timestamp_seconds"
  | "backup_size_bytes"
  | "backup_duration_seconds"
  | "backup_verify_success"
  | "backup_verify_last_run_timestamp_seconds";

export type BackupMetrics = Partial<Record<BackupMetricName, number>>;

const PUSH_TIMEOUT_MS = 10_000;

export function renderMetrics(metrics: BackupMetrics): string {
  return Object.entries(metrics)
    .map(([name, value]) => `# TYPE ${name} gauge\n${name} ${value}\n`)
    .join("");
}

/**
 * POST, not PUT: PUT replaces every metric of the group, so the backup job's push would erase the verify job's
 * gauges and the other way round. A failed push is logged, not fatal: the backup itself is good, and the
 * missing timestamp is what the staleness alert notices.
 */
export async function pushMetrics(
  pushgateway: PushTarget | undefined,
  database: string,
  metrics: BackupMetrics,
  logger: Logger,
): Promise<void> {
  if (pushgateway === undefined) return;
  const url = pushgatewayGroupUrl(pushgateway, "backup", { database });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "text/plain; version=0.0.4" },
      body: renderMetrics(metrics),
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  } catch (error) {
    logger.error({ err: error, pushgateway: url }, "could not push backup metrics to the Pushgateway");
  }
}
