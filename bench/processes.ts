import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { freePort, sleep } from "../test/support/net";
import { REPO_ROOT, terminate } from "../test/support/processes";

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** Where bench/tsconfig.servers.json puts the compiled bench/*.ts servers. */
const SERVERS_BUILD = path.join(REPO_ROOT, "bench/dist/bench");

/**
 * Compiles the servers the benchmark starts besides the service (the yardstick and the layered server), so that
 * they run as plain Node, as the service's build does. Through ts-node they would not be bare Koa: ts-node loads
 * Node's repl module, which loads the domain module, and that hooks the construction of every EventEmitter (a
 * profile showed the hook and a slower process.nextTick); bare Koa run that way took about 7% more CPU per answer
 * (1.6 of 22 µs, 2026-12-07), which flattered every ratio.
 */
export function buildServers(): void {
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "bench/tsconfig.servers.json")], { stdio: "inherit" });
}

/** The compiled `bench/<name>.ts` (see buildServers). */
export function serverEntry(name: "yardstick" | "layeredServer"): string {
  return path.join(SERVERS_BUILD, `${name}.js`);
}

/** A server the benchmark started and drives: its address, and its CPU time and memory from /proc. */
export interface ServerProcess {
  name: string;
  pid: number;
  baseUrl: string;
  /** Where the service answers /health, /ready and /metrics (OPS_PORT); the base URL for servers without one. */
  opsUrl: string;
  /** User plus system CPU time so far. */
  cpuSeconds(): number;
  /** Resident set size now (VmRSS). */
  rssBytes(): number;
  /** The last lines it wrote, for error messages. */
  logTail(lines?: number): string;
  /** Everything it wrote to stdout and stderr. */
  logFile: string;
  stop(): Promise<void>;
}

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function processRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** The end of a log, however long the log has grown (a run's access log outgrows the longest string Node holds). */
const TAIL_BYTES = 64 * 1024;
function tailOf(file: string): string {
  const descriptor = openSync(file, "r");
  try {
    const start = Math.max(0, fstatSync(descriptor).size - TAIL_BYTES);
    const buffer = Buffer.alloc(TAIL_BYTES);
    return buffer.toString("utf8", 0, readSync(descriptor, buffer, 0, TAIL_BYTES, start));
  } finally {
    closeSync(descriptor);
  }
}

/** Two ports nothing listens on: freePort alone can hand out the same port twice in a row. */
export async function freePortPair(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

/**
 * Starts `node <args>` with its output in `logFile` and waits until `readyPath` answers 200 (on `opsPort` when
 * given). Fails with the log's tail if the process exits or is not ready within a minute.
 */
export async function startServer(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  opsPort?: number;
  readyPath: string;
  logFile: string;
}): Promise<ServerProcess> {
  const log = openSync(options.logFile, "w");
  const ports = { PORT: String(options.port), ...(options.opsPort === undefined ? {} : { OPS_PORT: String(options.opsPort) }) };
  const child = spawn(process.execPath, options.args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, ...ports },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} did not start`);
  const logTail = (lines = 20) => tailOf(options.logFile).trimEnd().split("\n").slice(-lines).join("\n");
  const server: ServerProcess = {
    name: options.name,
    pid,
    baseUrl: `http://127.0.0.1:${options.port}`,
    opsUrl: `http://127.0.0.1:${options.opsPort ?? options.port}`,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    logTail,
    logFile: options.logFile,
    stop: () => terminate(child, STOP_TIMEOUT_MS),
  };
  try {
    await waitUntilReady(child, `${server.opsUrl}${options.readyPath}`);
  } catch (error) {
    await server.stop();
    throw new Error(`${options.name}: ${(error as Error).message}\n${logTail()}`, { cause: error });
  }
  return server;
}

async function waitUntilReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`not ready within ${START_TIMEOUT_MS / 1000} s`);
}
