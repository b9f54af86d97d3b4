import { jobs } from "./settings";

/** Label matchers shared by the alert rules and the dashboards, so both always select the same series. */

export const svc = `job="${jobs.service}"`;
export const api = `${svc},component="api"`;
/** The page's pods (the `web` command), scraped under the service's job. */
export const web = `${svc},component="web"`;
/** The service's pods that hold a database pool; the page's report `database_up 0` as they never connect. */
export const databaseClients = `${svc},component=~"api|worker"`;
/**
 * API requests from clients: probes and scrapes are left out, or their steady trickle of fast 200s (and
 * /ready's 503s during an outage, which readiness alerts already report) would skew latency and error ratios.
 */
export const apiTraffic = `${api},route!~"/health|/ready|/metrics"`;
export const pg = `job="${jobs.postgresExporter}"`;
export const redis = `job="${jobs.redisExporter}"`;
export const backup = `job="${jobs.backup}"`;
export const importer = `job="${jobs.importer}"`;
export const prometheus = `job="${jobs.prometheus}"`;
export const kubeState = `job="${jobs.kubeStateMetrics}"`;
/** Pods whose own process reports its CPU and memory (prom-client, and the exporters' Go client defaults). */
export const processes = `job=~"${[jobs.service, jobs.postgresExporter, jobs.redisExporter].join("|")}"`;
/** CloudNativePG's instances (one target per instance pod). */
export const cnpg = `job="${jobs.cloudnativePg}"`;
