/**
 * PostgreSQL settings sized from the stack's config rather than left at the image's defaults (128 MB of
 * shared_buffers under a 4 GiB limit wastes most of it). The usual starting points, as PostgreSQL's documentation
 * and pgtune give them: shared_buffers a quarter of the memory limit, effective_cache_size three quarters (the
 * page cache the planner may count on), maintenance_work_mem a twentieth (capped at 2 GB: vacuum and index builds
 * gain little above it), and work_mem a quarter of the memory spread over every connection, so that all
 * connections sorting at once still fit.
 */
import type { DatabaseSettings, Settings } from "../../config";

const UNITS: Record<string, number> = { "": 1, k: 1e3, Ki: 1024, M: 1e6, Mi: 1024 ** 2, G: 1e9, Gi: 1024 ** 3, T: 1e12, Ti: 1024 ** 4 };

/** A memory quantity (`4Gi`, `512Mi`, `1G`) in bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([kMGT]i?)?$/.exec(quantity);
  if (match === null) throw new Error(`not a memory quantity: ${quantity}`);
  return Number(match[1]) * UNITS[match[2] ?? ""];
}

const MB = 1024 ** 2;
const megabytes = (bytes: number) => `${Math.max(1, Math.floor(bytes / MB))}MB`;

export function postgresParameters(settings: Pick<Settings, "database">): Record<string, string> {
  const db: DatabaseSettings = settings.database;
  const memory = quantityBytes(db.resources.limits.memory);
  // Derived in infra/config.ts (databaseMaxConnections) from the pools and the pooler.
  const connections = db.maxConnections;
  return {
    max_connections: String(connections),
    shared_buffers: megabytes(memory * 0.25),
    effective_cache_size: megabytes(memory * 0.75),
    maintenance_work_mem: megabytes(Math.min(memory * 0.05, 2048 * MB)),
    work_mem: megabytes(Math.max((memory * 0.25) / connections, 4 * MB)),
    // Slow statements in the log (the instance manager ships it as JSON to stdout, so Fluent Bit picks it up).
    log_min_duration_statement: "1000",
    log_lock_waits: "on",
    // What the monitoring's long-transaction alert needs, and pg_stat_statements for the dashboards.
    track_io_timing: "on",
  };
}
