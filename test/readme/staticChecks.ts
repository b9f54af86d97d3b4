/**
 * Checks for commands the README test does not run (they need a cluster, Docker, the Pulumi CLI, GitHub): the
 * shell can parse them, and the npm scripts, repository paths, stacks, policy packs and config keys they name
 * exist. Run commands are checked by running them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, globSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { configKeyProblem, projectAt } from "./configKeys";
import type { ShellBlock } from "./markdown";
import type { Need } from "./plan";
import { type Problem, problem } from "./problems";
import { type Command, PLACEHOLDER, type SimpleCommand, hasPlaceholder, simpleCommands } from "./shell";

/** Which commands need what this machine lacks. */
const NEED_OF_PROGRAM: Readonly<Record<string, Need>> = {
  pulumi: "pulumi",
  kubectl: "cluster",
  helm: "cluster",
  cmctl: "cluster",
  docker: "docker",
  gh: "github",
};

/** What a command needs that this machine lacks, judged from the programs it calls. */
export function needsOf(command: Command): Need[] {
  const needs = new Set<Need>();
  for (const { words } of simpleCommands(command.text)) {
    const need = NEED_OF_PROGRAM[path.basename(words[0])];
    if (need !== undefined) needs.add(need);
    if (words[0] === "git" && words[1] === "push") needs.add("github");
    if (words.some((word) => word === "--crds" || word.startsWith("--crds="))) needs.add("crds");
  }
  return [...needs];
}

/** `bash -n` over the block, placeholders standing in as plain words. */
export function syntaxProblems(block: ShellBlock, commands: readonly Command[]): Problem[] {
  const script = block.lines.join("\n").replace(PLACEHOLDER, "PLACEHOLDER");
  const result = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  if (result.status === 0) return [];
  const match = /line (\d+): (.*)/.exec(result.stderr);
  const line = match === null ? (commands[0]?.line ?? block.line) : block.line + Number(match[1]);
  return [problem(block.file, line, `shell syntax: ${match?.[2] ?? result.stderr.trim()}`)];
}

/** Values of these flags are files the command writes, not ones that must exist. */
const OUTPUT_FLAGS = new Set(["--out", "--output", "-o", "--svg", "--file"]);

const trackedTopLevel = new Map<string, Set<string>>();

/** The first path segments of the files git tracks (or would add) in `root`: what counts as a repository path. */
function topLevelEntries(root: string): Set<string> {
  let entries = trackedTopLevel.get(root);
  if (entries === undefined) {
    const listed = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: root, encoding: "utf8" });
    if (listed.status !== 0) throw new Error(`git ls-files failed in ${root}: ${listed.stderr}`);
    entries = new Set(listed.stdout.split("\n").filter((file) => file !== "").map((file) => file.split("/")[0]));
    trackedTopLevel.set(root, entries);
  }
  return entries;
}

function isConcrete(word: string): boolean {
  return !/[$<>{}`]/.test(word) && !hasPlaceholder(word);
}

function pathProblem(word: string, cwd: string, root: string): string | undefined {
  const value = word.startsWith("-") && word.includes("=") ? word.slice(word.indexOf("=") + 1) : word;
  if (!isConcrete(value) || !value.includes("/") || value.includes("://") || value.startsWith("-")) return undefined;
  const absolute = path.resolve(cwd, value);
  const relative = path.relative(root, absolute);
  if (relative.startsWith("..")) return undefined;
  // A pattern is always input; a plain path counts as the repository's only below one of its top-level entries.
  if (/[*?[]/.test(value)) return globSync(value, { cwd }).length > 0 ? undefined : `"${value}" matches no file`;
  if (!topLevelEntries(root).has(relative.split(path.sep)[0])) return undefined;
  return existsSync(absolute) ? undefined : `"${value}" does not exist`;
}

/** The words of a simple command that name input files: all but output-flag values, and for kubectl only -f. */
function inputWords({ words, inputs }: SimpleCommand): string[] {
  const candidates = words[0] === "kubectl" ? words.filter((_, i) => ["-f", "--filename"].includes(words[i - 1])) : words;
  return [...candidates.filter((_, i) => !OUTPUT_FLAGS.has(candidates[i - 1] ?? "")), ...inputs];
}

/** The nearest package.json at or above `dir` (up to `root`). */
function packageDir(dir: string, root: string): string {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, "package.json")) || current === root || current === path.dirname(current)) return current;
  }
}

function npmScriptProblem(words: string[], cwd: string, root: string): string | undefined {
  let workspace: string | undefined;
  const positional: string[] = [];
  for (let i = 1; i < words.length && words[i] !== "--"; i += 1) {
    const word = words[i];
    if (word === "-w" || word === "--workspace") workspace = words[++i];
    else if (word.startsWith("--workspace=")) workspace = word.slice("--workspace=".length);
    else if (!word.startsWith("-")) positional.push(word);
  }
  const [command, script] = positional;
  const name = ["run", "run-script", "rum", "urn"].includes(command) ? script : ["test", "t", "start"].includes(command) ? (command === "t" ? "test" : command) : undefined;
  if (name === undefined) return undefined;
  const dir = workspace === undefined ? packageDir(cwd, root) : path.resolve(packageDir(cwd, root), workspace);
  const manifest = path.join(dir, "package.json");
  if (!existsSync(manifest)) return `npm: no package.json in ${path.relative(root, dir) || "."}`;
  const scripts = (JSON.parse(readFileSync(manifest, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
  return name in scripts ? undefined : `npm script "${name}" does not exist in ${path.relative(root, manifest)}`;
}

interface PulumiArgs {
  subcommand: string[];
  flags: Map<string, string | true>;
  positional: string[];
}

/** Pulumi flags that take no value; every other `--flag` takes the next word. */
const PULUMI_SWITCHES = new Set(["--path", "--secret", "--plaintext", "--yes", "-y", "--diff", "--json", "--force", "--skip-preview", "--show-secrets", "--refresh"]);

/** Subcommands with subcommands of their own: `pulumi stack init`, `pulumi config set`. */
const PULUMI_GROUPS = new Set(["stack", "config"]);

function pulumiArgs(words: string[]): PulumiArgs {
  const args: PulumiArgs = { subcommand: [], flags: new Map(), positional: [] };
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i];
    if (word.startsWith("-")) {
      const [flag, inline] = word.split(/=(.*)/s);
      args.flags.set(flag, inline ?? (PULUMI_SWITCHES.has(flag) ? true : (words[++i] ?? "")));
    } else if (args.subcommand.length === 0 || (args.subcommand.length === 1 && PULUMI_GROUPS.has(args.subcommand[0]))) {
      args.subcommand.push(word);
    } else {
      args.positional.push(word);
    }
  }
  return args;
}

function yamlValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

function pulumiProblems(words: string[], shellDir: string, root: string): string[] {
  const args = pulumiArgs(words);
  const cwdFlag = args.flags.get("--cwd") ?? args.flags.get("-C");
  const cwd = typeof cwdFlag === "string" && isConcrete(cwdFlag) ? path.resolve(shellDir, cwdFlag) : shellDir;
  const project = projectAt(cwd, root);
  if (project === undefined) return [`pulumi runs outside a Pulumi project (no Pulumi.yaml at or above ${path.relative(root, cwd) || "."})`];
  const problems: string[] = [];
  const stacks = [args.flags.get("--stack"), args.flags.get("-s")];
  if (args.subcommand[0] === "stack" && ["select", "init"].includes(args.subcommand[1] ?? "")) stacks.push(args.positional[0]);
  for (const stack of stacks) {
    if (typeof stack !== "string" || !isConcrete(stack)) continue;
    const file = path.join(project.dir, project.stackConfigDir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) problems.push(`stack "${stack}" has no config file ${path.relative(root, file)}`);
  }
  for (const flag of ["--policy-pack", "--policy-pack-config"]) {
    const value = args.flags.get(flag);
    if (typeof value === "string" && isConcrete(value) && !existsSync(path.resolve(cwd, value))) problems.push(`"${value}" does not exist`);
  }
  if (args.subcommand[0] === "config" && ["set", "get", "rm"].includes(args.subcommand[1] ?? "")) {
    const [key, value] = args.positional;
    const usesPath = args.flags.has("--path");
    const checkValue = args.subcommand[1] === "set" && usesPath && !args.flags.has("--secret") && value !== undefined && isConcrete(value);
    const typed = args.flags.get("--type") === "string" ? value : yamlValue(value ?? "");
    if (key !== undefined && isConcrete(key)) {
      const found = configKeyProblem(project, key, usesPath, checkValue ? typed : undefined);
      if (found !== undefined) problems.push(found);
    }
  }
  return problems;
}

/** `npm run preview -- <stacks> --set key=value`: the keys, as `pulumi config set --path` would set them. */
function previewSetProblems(words: string[], root: string): string[] {
  const separator = words.indexOf("--");
  if (words[2] !== "preview" || separator < 0) return [];
  const args = words.slice(separator + 1);
  const platform = args.some((arg) => arg.startsWith("platform:"));
  const project = projectAt(platform ? path.join(root, "platform") : root, root);
  if (project === undefined) return [];
  const problems: string[] = [];
  args.forEach((arg, i) => {
    if (args[i - 1] !== "--set" || !arg.includes("=")) return;
    const [key, value] = arg.split(/=(.*)/s);
    const found = configKeyProblem(project, key, true, isConcrete(value) ? yamlValue(value) : undefined);
    if (found !== undefined) problems.push(found);
  });
  return problems;
}

/** The checks above for the commands of one block, in order (a `cd` moves where later paths resolve). */
export function checkCommands(commands: readonly Command[], root: string, startDir: string = root): Problem[] {
  const problems: Problem[] = [];
  let cwd = startDir;
  for (const command of commands) {
    const reported = new Set<string>();
    const report = (message: string) => {
      if (!reported.has(message)) problems.push(problem(command.block.file, command.line, message));
      reported.add(message);
    };
    for (const simple of simpleCommands(command.text)) {
      const { words } = simple;
      if (words[0] === "cd" && words[1] !== undefined && isConcrete(words[1])) {
        const target = path.resolve(cwd, words[1]);
        if (existsSync(target)) cwd = target;
        else report(`cd ${words[1]}: no such directory`);
        continue;
      }
      for (const word of inputWords(simple)) {
        const found = pathProblem(word, cwd, root);
        if (found !== undefined) report(found);
      }
      if (words[0] === "npm") {
        const found = npmScriptProblem(words, cwd, root);
        if (found !== undefined) report(found);
        previewSetProblems(words, root).forEach(report);
      }
      if (words[0] === "pulumi") pulumiProblems(words, cwd, root).forEach(report);
    }
  }
  return problems;
}
