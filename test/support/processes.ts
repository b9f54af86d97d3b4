/** Child processes: commands run to completion, waiting for an exit, stopping, and finding programs on PATH. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const SERVICE_DIR = path.join(REPO_ROOT, "service");

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long; a minute unless told, Infinity for no limit. */
  timeoutMs?: number;
}

export interface RunResult {
  /** null when a signal ended it (the time limit's SIGKILL included). */
  code: number | null;
  /** stdout and stderr as they came. */
  output: string;
}

/** Runs a command to completion; resolves with its exit code and combined output, whatever the code. */
export function runUnchecked(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : undefined;
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Runs a command to completion; rejects with its output when it fails. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const { code, output } = await runUnchecked(command, args, options);
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output.slice(-4000)}`);
  return output;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
export async function terminate(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = exited(child);
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await exit;
  clearTimeout(timer);
}

/** Where `command` is on PATH, if it is. */
export function which(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** `value` as one word of a POSIX shell command line, quoted only when it has to be. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
