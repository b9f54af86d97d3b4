/**
 * One bash process that runs the documents' commands one at a time, the way a reader's terminal would: variables,
 * exports and `cd` carry from one command to the next. Each command's output goes to files of its own and its exit
 * status comes back on fd 3; long-running commands run as background jobs in process groups of their own (`set -m`),
 * so stopping one reaches every process it started. curl reports each HTTP status on stderr through a curlrc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { sleep } from "../support/net";

export interface Outcome {
  /** The exit status; null when the time limit ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The status of every HTTP response curl received, in order. */
  httpStatuses: number[];
}

export interface Job {
  id: number;
  pid: number;
}

const HTTP_STATUS = /^readme-test: http (\d{3})$/gm;

/** pid → [parent pid, process group] of every process, from /proc. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(entry), [Number(ppid), Number(pgrp)]);
    } catch {
      // ended while we looked
    }
  }
  return table;
}

/** The processes of a process group that have no child in it: the programs a chain of wrappers ends in. */
function leavesOf(group: number): number[] {
  const members = [...processTable()].filter(([, [, pgrp]]) => pgrp === group);
  const parents = new Set(members.map(([, [ppid]]) => ppid));
  return members.map(([pid]) => pid).filter((pid) => !parents.has(pid));
}

/** Single quotes for bash: the only character needing care inside them is the quote itself. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export class ShellSession {
  private readonly lines: AsyncIterator<string>;
  private readonly log: string[] = [];
  private nextId = 0;
  private exited = false;

  private constructor(
    private readonly bash: ChildProcess,
    private readonly runDir: string,
  ) {
    this.lines = createInterface({ input: bash.stdio[3] as Readable })[Symbol.asyncIterator]();
    bash.stdout?.on("data", (chunk: Buffer) => this.log.push(chunk.toString()));
    bash.stderr?.on("data", (chunk: Buffer) => this.log.push(chunk.toString()));
    bash.on("exit", () => (this.exited = true));
  }

  /** A bash in `cwd` with `env`; `runDir` (empty, private) receives the commands' output and the curlrc. */
  static start(cwd: string, env: NodeJS.ProcessEnv, runDir: string): ShellSession {
    writeFileSync(path.join(runDir, ".curlrc"), 'write-out = "%{stderr}readme-test: http %{http_code}\\n"\n');
    const bash = spawn("bash", ["--noprofile", "--norc"], {
      cwd,
      env: { ...env, CURL_HOME: runDir },
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    return new ShellSession(bash, runDir);
  }

  /** What bash itself printed (job notices, its own errors): for a report when the session breaks. */
  get bashLog(): string {
    return this.log.join("");
  }

  private send(script: string): void {
    if (this.exited) throw new Error(`the shell session has ended:\n${this.bashLog}`);
    (this.bash.stdin as Writable).write(`${script}\n`);
  }

  private async reply(): Promise<string[]> {
    const next = await this.lines.next();
    if (next.done === true) throw new Error(`the shell session ended unexpectedly:\n${this.bashLog}`);
    return next.value.split(" ");
  }

  private files(id: number): { out: string; err: string } {
    return { out: path.join(this.runDir, `${id}.out`), err: path.join(this.runDir, `${id}.err`) };
  }

  /** The output a command has written so far, HTTP status lines taken out of stderr. */
  output(id: number): Omit<Outcome, "code"> {
    const { out, err } = this.files(id);
    const read = (file: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    };
    const stderr = read(err);
    return {
      stdout: read(out),
      stderr: stderr.replace(HTTP_STATUS, "").replace(/\n{2,}/g, "\n"),
      httpStatuses: [...stderr.matchAll(HTTP_STATUS)].map((match) => Number(match[1])),
    };
  }

  private redirected(id: number, source: string): string {
    const { out, err } = this.files(id);
    // The commands never see fd 3: a server they leave behind must not hold the session's status pipe.
    return `{ ${source}\n} </dev/null >${quote(out)} 2>${quote(err)} 3>&-`;
  }

  /** Runs `cd` to `dir` in the session. */
  async cd(dir: string): Promise<void> {
    this.send(`cd -- ${quote(dir)}; printf 'cd %s\\n' "$?" >&3`);
    const [, code] = await this.reply();
    if (code !== "0") throw new Error(`cd ${dir} failed in the shell session`);
  }

  /**
   * Runs one command to completion. Past `timeoutMs` the whole session is killed (its foreground command cannot be
   * told apart from bash itself) and the outcome's code is null; the session cannot be used afterwards.
   */
  async run(source: string, timeoutMs: number): Promise<Outcome> {
    const id = (this.nextId += 1);
    this.send(`${this.redirected(id, source)}; printf 'done ${id} %s\\n' "$?" >&3`);
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs).unref());
    const result = await Promise.race([this.reply(), timer]);
    if (result === "timeout") {
      this.killNow();
      return { code: null, ...this.output(id) };
    }
    return { code: Number(result[2]), ...this.output(id) };
  }

  /** Starts a command as a background job in a process group of its own. */
  async start(source: string): Promise<Job> {
    const id = (this.nextId += 1);
    this.send(`set -m; ${this.redirected(id, source)} &\nprintf 'started ${id} %s\\n' "$!" >&3; set +m`);
    const [, , pid] = await this.reply();
    return { id, pid: Number(pid) };
  }

  /** Whether a background job is still running (a zombie counts as ended). */
  running(job: Job): boolean {
    try {
      const stat = readFileSync(`/proc/${job.pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  }

  /**
   * Stops a background job the way its documentation promises: SIGTERM to the program at the end of the chain
   * (npm → sh → node: the service itself, whose exit status npm passes back), the whole process group if that
   * has not ended it within `graceMs`, SIGKILL after as long again. Resolves with the job's exit status.
   */
  async stop(job: Job, graceMs: number): Promise<Outcome & { killed: boolean }> {
    const signal = (pids: number[], name: NodeJS.Signals) => {
      for (const pid of pids) {
        try {
          process.kill(pid, name);
        } catch {
          // gone already
        }
      }
    };
    let killed = false;
    for (const [targets, name] of [
      [leavesOf(job.pid), "SIGTERM"],
      [[-job.pid], "SIGTERM"],
      [[-job.pid], "SIGKILL"],
    ] as const) {
      if (!this.running(job)) break;
      killed = targets[0] === -job.pid;
      signal([...targets], name);
      const deadline = Date.now() + graceMs;
      while (this.running(job) && Date.now() < deadline) await sleep(100);
    }
    this.send(`wait ${job.pid}; printf 'stopped ${job.id} %s\\n' "$?" >&3`);
    const [, , code] = await this.reply();
    return { code: Number(code), killed, ...this.output(job.id) };
  }

  /** Ends the session: the jobs' groups are the caller's to stop first. */
  async close(): Promise<void> {
    if (this.exited) return;
    (this.bash.stdin as Writable).end("exit 0\n");
    await Promise.race([once(this.bash, "exit"), sleep(5_000)]);
    this.killNow();
  }

  killNow(): void {
    if (this.exited || this.bash.pid === undefined) return;
    try {
      process.kill(-this.bash.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
