/**
 * Runs the shell blocks of the documents in order in one shell session, or checks them without running where
 * their marker says they need what this machine lacks, and reports every command that does not do what its
 * marker (or, by default, exit status 0 and no HTTP error) says.
 */
import { spawnSync } from "node:child_process";
import type { ShellBlock } from "./markdown";
import { type BlockPlan, type Expectation, MarkerError, type Need, type Rule, type Serves, parsePlan } from "./plan";
import { type Problem, problem } from "./problems";
import { type Job, type Outcome, ShellSession } from "./session";
import { type Command, commandsOf, hasPlaceholder } from "./shell";
import { checkCommands, needsOf, syntaxProblems } from "./staticChecks";
import { sleep } from "../support/net";

export interface RunOptions {
  /**
   * The checkout the documents describe. Every block starts here, as the documents say their commands do, and the
   * static checks read it (package.json, Pulumi projects, tracked paths).
   */
  workDir: string;
  env: NodeJS.ProcessEnv;
  /** An empty private directory for the commands' output. */
  runDir: string;
  commandTimeoutMs?: number;
  /** How long a `serves` command may take to answer 200. */
  readyTimeoutMs?: number;
  /** How long a long-running command may take to exit after SIGTERM. */
  stopGraceMs?: number;
  log?: (line: string) => void;
}

const TAIL_LINES = 15;

function tail(label: string, text: string): string {
  const lines = text.trimEnd().split("\n");
  if (text.trim() === "") return "";
  return `\n  ${label}${lines.length > TAIL_LINES ? ` (last ${TAIL_LINES} lines)` : ""}:\n${lines
    .slice(-TAIL_LINES)
    .map((line) => `    ${line}`)
    .join("\n")}`;
}

function outputTail(outcome: Pick<Outcome, "stdout" | "stderr">): string {
  return tail("stdout", outcome.stdout) + tail("stderr", outcome.stderr);
}

/** `pooled.model.rps`, `.data[0].id`: the value at a jq-like path, or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  const parts = [...path.replace(/^\./, "").matchAll(/([^.[\]]+)|\[(\d+)\]/g)];
  return parts.reduce<unknown>((node, match) => {
    if (node === null || typeof node !== "object") return undefined;
    return (node as Record<string, unknown>)[match[2] ?? match[1]];
  }, value);
}

/** What is wrong with an outcome against the command's expectations; an empty list when nothing is. */
export function unmet(outcome: Outcome, expectations: readonly Expectation[]): string[] {
  const found: string[] = [];
  const exit = expectations.find((e) => e.kind === "exit");
  const expectedCode = exit?.kind === "exit" ? exit.code : 0;
  if (outcome.code !== expectedCode) found.push(`exit status ${outcome.code}, expected ${expectedCode}`);
  const http = expectations.find((e) => e.kind === "http");
  if (http?.kind === "http") {
    if (outcome.httpStatuses.length === 0) found.push(`no HTTP response, expected ${http.status}`);
    const other = outcome.httpStatuses.filter((status) => status !== http.status);
    if (other.length > 0) found.push(`HTTP ${other.join(", ")}, expected ${http.status}`);
  } else {
    const errors = outcome.httpStatuses.filter((status) => status >= 400 || status === 0);
    if (errors.length > 0) found.push(`HTTP ${errors.join(", ")} (an error status; say \`http <status>\` if it is the point)`);
  }
  for (const expectation of expectations) {
    if (expectation.kind === "prints" && !expectation.pattern.test(outcome.stdout)) {
      found.push(`stdout does not match ${expectation.pattern}`);
    }
    if (expectation.kind !== "json") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(outcome.stdout);
    } catch {
      found.push(`stdout is not JSON (it starts ${JSON.stringify(outcome.stdout.slice(0, 60))})`);
      continue;
    }
    const actual = valueAt(parsed, expectation.path);
    if (actual === undefined || actual === null) found.push(`JSON has no ${expectation.path}`);
    else if ("value" in expectation && JSON.stringify(actual) !== JSON.stringify(expectation.value)) {
      found.push(`JSON ${expectation.path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expectation.value)}`);
    }
  }
  return found;
}

interface RunningJob {
  job: Job;
  command: string;
  line: number;
}

interface Decided {
  command: Command;
  rules: Rule[];
  /** Why it is only checked, not run; undefined when it runs. */
  checkOnly?: string;
}

function sameNeeds(a: readonly Need[], b: readonly Need[]): boolean {
  return a.length === b.length && a.every((need) => b.includes(need));
}

/** Which commands run and which are only checked, with the problems of the marker itself. */
function decide(block: ShellBlock, plan: BlockPlan, commands: Command[]): { decided: Decided[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const report = (line: number, message: string) => problems.push(problem(block.file, line, message));
  const decided = commands.map((command) => ({ command, rules: plan.rules.filter((rule) => command.text.startsWith(rule.prefix)) }));
  for (const rule of plan.rules) {
    if (!decided.some((d) => d.rules.includes(rule))) report(rule.line, `marker rule \`${rule.prefix}\` matches no command of the block`);
  }
  if (plan.needs.length > 0 || plan.skip !== undefined) {
    const detected = [...new Set(commands.flatMap(needsOf))];
    if (plan.needs.length > 0 && !sameNeeds(plan.needs, detected)) {
      report(block.marker?.line ?? block.line, `marked "needs ${plan.needs.join(" ")}", but its commands need ${detected.length > 0 ? detected.join(" ") : "nothing this machine lacks: run them"}`);
    }
    const why = plan.skip !== undefined ? `skip: ${plan.skip}` : `needs ${plan.needs.join(" ")}`;
    return { decided: decided.map((d) => ({ ...d, checkOnly: why })), problems };
  }
  for (const d of decided) {
    const detected = needsOf(d.command);
    const marked = [...new Set(d.rules.flatMap((rule) => rule.needs))];
    const skip = d.rules.find((rule) => rule.skip !== undefined)?.skip;
    if (skip !== undefined) Object.assign(d, { checkOnly: `skip: ${skip}` });
    else if (detected.length > 0 || marked.length > 0) {
      if (!sameNeeds(detected, marked)) {
        report(d.command.line, `needs ${detected.join(" ") || "nothing this machine lacks"}; its marker says ${marked.length > 0 ? `needs ${marked.join(" ")}` : "nothing"} (see test/readme/README.md)`);
      }
      Object.assign(d, { checkOnly: `needs ${detected.join(" ")}` });
    } else if (hasPlaceholder(d.command.text)) {
      report(d.command.line, "has a <placeholder>: give it a value that works here, or mark it `needs`/`skip:`");
      Object.assign(d, { checkOnly: "placeholder" });
    }
  }
  return { decided, problems };
}

export class BlockRunner {
  private readonly session: ShellSession;
  private readonly options: Required<Omit<RunOptions, "log">> & Pick<RunOptions, "log">;

  constructor(options: RunOptions) {
    this.options = { commandTimeoutMs: 300_000, readyTimeoutMs: 300_000, stopGraceMs: 30_000, ...options };
    this.session = ShellSession.start(options.workDir, options.env, options.runDir);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private port(serves: Serves): string {
    return serves.port.replace(/^\$\{(\w+)\}$/, (_, name: string) => this.options.env[name] ?? "");
  }

  /** Starts a long-running command and waits until it answers 200; returns the job, or a problem. */
  private async startServing(source: string, serves: Serves): Promise<{ job: Job } | { failure: string }> {
    const started = Date.now();
    const job = await this.session.start(source);
    const url = `http://127.0.0.1:${this.port(serves)}${serves.path}`;
    for (;;) {
      const status = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
        async (response) => (await response.arrayBuffer(), response.status),
        () => undefined,
      );
      if (status === 200) {
        this.log(`    ${url} answered 200 after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return { job };
      }
      if (!this.session.running(job)) {
        const stopped = await this.session.stop(job, 0);
        return { failure: `exited (status ${stopped.code}) before ${url} answered 200${outputTail(stopped)}` };
      }
      if (Date.now() - started > this.options.readyTimeoutMs) {
        const stopped = await this.session.stop(job, this.options.stopGraceMs);
        return { failure: `${url} did not answer 200 within ${this.options.readyTimeoutMs / 1000} s (last: ${status ?? "no answer"})${outputTail(stopped)}` };
      }
      await sleep(500);
    }
  }

  private async stopServing(job: Job, command: string, report: (message: string) => void): Promise<void> {
    const stopped = await this.session.stop(job, this.options.stopGraceMs);
    this.log(`    stopped \`${command}\`: exit ${stopped.code}${stopped.killed ? " (killed)" : ""}`);
    if (stopped.killed) report(`did not exit within ${this.options.stopGraceMs / 1000} s of SIGTERM${outputTail(stopped)}`);
    else if (stopped.code !== 0) report(`exited with status ${stopped.code} after SIGTERM${outputTail(stopped)}`);
  }

  /** Runs (or checks) one block; resolves with its problems. */
  async runBlock(block: ShellBlock): Promise<Problem[]> {
    let plan: BlockPlan;
    try {
      plan = parsePlan(block.marker);
    } catch (error) {
      if (!(error instanceof MarkerError)) throw error;
      return [problem(block.file, error.line, `readme-test marker: ${error.message}`)];
    }
    const commands = commandsOf(block);
    const { decided, problems } = decide(block, plan, commands);
    const checked = decided.filter((d) => d.checkOnly !== undefined).map((d) => d.command);
    if (checked.length > 0) {
      problems.push(...syntaxProblems(block, commands), ...checkCommands(checked, this.options.workDir));
    }
    if (decided.every((d) => d.checkOnly !== undefined)) {
      this.log(`${block.file}:${block.line}: checked, not run (${decided[0]?.checkOnly ?? "empty"})`);
      return problems;
    }
    await this.session.cd(this.options.workDir);
    const jobs: RunningJob[] = [];
    try {
      await this.runCommands(block, plan, decided, jobs, problems);
    } finally {
      for (const { job, command, line } of jobs.reverse()) {
        await this.stopServing(job, command, (message) => problems.push(problem(block.file, line, `\`${command}\` ${message}`)));
      }
    }
    return problems;
  }

  /** The block's `while` commands, then its commands in order, up to the first that fails. */
  private async runCommands(block: ShellBlock, plan: BlockPlan, decided: Decided[], jobs: RunningJob[], problems: Problem[]): Promise<void> {
    const markerLine = block.marker?.line ?? block.line;
    for (const during of plan.during) {
      this.log(`${block.file}:${block.line}: while \`${during.command}\``);
      const started = await this.startServing(during.command, during.serves);
      if ("failure" in started) {
        problems.push(problem(block.file, markerLine, `\`${during.command}\` ${started.failure}`));
        return;
      }
      jobs.push({ job: started.job, command: during.command, line: markerLine });
    }
    for (const { command, rules, checkOnly } of decided) {
      if (checkOnly !== undefined) continue;
      const failure = await this.runCommand(command, rules, jobs);
      if (failure !== undefined) {
        problems.push(problem(block.file, command.line, `\`${command.text}\`: ${failure}`));
        return;
      }
    }
  }

  /** Runs one command; resolves with what went wrong, or undefined. */
  private async runCommand(command: Command, rules: Rule[], jobs: RunningJob[]): Promise<string | undefined> {
    const syntax = spawnSync("bash", ["-n"], { input: command.source, encoding: "utf8" });
    if (syntax.status !== 0) return `shell syntax: ${syntax.stderr.trim()}`;
    const expectations = rules.flatMap((rule) => rule.expectations);
    const serves = expectations.find((e) => e.kind === "serves");
    const started = Date.now();
    this.log(`${command.block.file}:${command.line}: $ ${command.text}`);
    if (serves?.kind === "serves") {
      const result = await this.startServing(command.source, serves.serves);
      if ("failure" in result) return result.failure;
      jobs.push({ job: result.job, command: command.text, line: command.line });
      return undefined;
    }
    const outcome = await this.session.run(command.source, this.options.commandTimeoutMs);
    this.log(`    exit ${outcome.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (outcome.code === null) {
      return `did not finish within ${this.options.commandTimeoutMs / 1000} s (a long-running command needs \`serves :<port>/<path>\`); the session was stopped${outputTail(outcome)}`;
    }
    const found = unmet(outcome, expectations);
    return found.length === 0 ? undefined : `${found.join("; ")}${outputTail(outcome)}`;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
