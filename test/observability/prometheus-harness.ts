import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { stringify } from "yaml";
import { podLabelMeta, podLabelPresentMeta } from "../../infra/observability/monitors";
import { freePort, sleep } from "../support/net";
import type { TempDir } from "../support/tempDir";

/** A scrape config as YAML-shaped data. */
export type ScrapeConfig = Record<string, unknown> & { job_name: string };
export type PrometheusConfig = Record<string, unknown> & { scrape_configs: ScrapeConfig[] };

/** One container port of a Kubernetes pod, as pod discovery describes it, for file-based discovery to replay. */
export interface SimulatedPod {
  /** Where the test's stand-in listens; Kubernetes discovery would give the pod IP and the port. */
  address: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  container: string;
  portName: string;
  port: number;
  phase?: string;
}

/** The `__meta_kubernetes_pod_*` labels Kubernetes pod discovery gives one container port of a pod. */
function targetGroup(pod: SimulatedPod) {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_container_name: pod.container,
    __meta_kubernetes_pod_container_port_name: pod.portName,
    __meta_kubernetes_pod_container_port_number: String(pod.port),
    __meta_kubernetes_pod_phase: pod.phase ?? "Running",
  };
  for (const [name, value] of Object.entries(pod.labels)) {
    labels[podLabelMeta(name)] = value;
    labels[podLabelPresentMeta(name)] = "true";
  }
  return { targets: [pod.address], labels };
}

/**
 * Debian's Prometheus is built without Kubernetes discovery, so each job's `kubernetes_sd_configs` is swapped
 * for file-based discovery fed with the `__meta_kubernetes_*` labels Kubernetes discovery would produce (file
 * discovery keeps labels starting with `__` for relabeling). The relabeling under test is the derived one,
 * untouched. `pods` is keyed by job name.
 */
export function withFileDiscovery(config: PrometheusConfig, dir: TempDir, pods: Record<string, SimulatedPod[]> = {}): PrometheusConfig {
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job) => {
      if (!("kubernetes_sd_configs" in job)) return job;
      const { kubernetes_sd_configs: _replaced, ...rest } = job;
      // Job names hold slashes (`podMonitor/<namespace>/<name>/0`): one flat file per job.
      const file = dir.write(`${job.job_name.replace(/[^A-Za-z0-9_]/g, "_")}.targets.json`, JSON.stringify((pods[job.job_name] ?? []).map(targetGroup)));
      return { ...rest, file_sd_configs: [{ files: [file] }] };
    }),
  };
}

export class RunningPrometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly log: () => string,
  ) {}

  static async start(dir: TempDir, config: PrometheusConfig): Promise<RunningPrometheus> {
    const port = await freePort();
    const configFile = dir.write("prometheus.live.yml", stringify(config));
    const child = spawn(
      "prometheus",
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir.path, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const prometheus = new RunningPrometheus(`http://127.0.0.1:${port}`, child, () => log);
    await prometheus.waitFor("Prometheus to be ready", async () => (await fetch(`${prometheus.url}/-/ready`)).ok);
    return prometheus;
  }

  /** Polls `check` until it returns true; failures and exceptions count as "not yet". */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited while waiting for ${what}:\n${this.log()}`);
      try {
        if (await check()) return;
      } catch (error) {
        lastError = error;
      }
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what}: ${String(lastError ?? "")}\n${this.log()}`);
  }

  async api<T>(pathAndQuery: string): Promise<T> {
    const response = await fetch(`${this.url}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${pathAndQuery}: ${body.error ?? response.status}`);
    return body.data;
  }

  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const data = await this.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    return data.result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    await once(this.child, "exit");
  }
}
