import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../support/processes";

export const DOCKERFILE_PATH = path.join(REPO_ROOT, "service", "Dockerfile");
export const DOCKERIGNORE_PATH = path.join(REPO_ROOT, ".dockerignore");

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined, flags included. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM. */
  globalArgs: Instruction[];
  stages: Stage[];
}

/** Splits a Dockerfile into stages of instructions; enough of the syntax for what the image tests check. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === "" || trimmed.startsWith("#"))) return;
    if (pending !== undefined && trimmed.startsWith("#")) return;
    const continues = trimmed.endsWith("\\");
    const body = continues ? trimmed.slice(0, -1).trimEnd() : trimmed;
    pending = pending === undefined ? { text: body, line: index + 1 } : { ...pending, text: `${pending.text} ${body}` };
    if (!continues) {
      const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
      if (match !== null) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: pending.line });
      pending = undefined;
    }
  });

  const result: Dockerfile = { globalArgs: [], stages: [] };
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [from, as, name] = stripFlags(instruction.args).split(/\s+/);
      result.stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (result.stages.length === 0) {
      if (instruction.keyword === "ARG") result.globalArgs.push(instruction);
    } else {
      result.stages[result.stages.length - 1].instructions.push(instruction);
    }
  }
  return result;
}

export function readDockerfile(): Dockerfile {
  return parseDockerfile(fs.readFileSync(DOCKERFILE_PATH, "utf8"));
}

/** `--mount=...`, `--from=...` and friends, leading an instruction's arguments. */
export function flags(args: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of args.matchAll(/(?:^|\s)--([\w-]+)(?:=(\S+))?/g)) found[match[1]] = match[2] ?? "true";
  return found;
}

export function stripFlags(args: string): string {
  return args.replace(/^(?:--[\w-]+(?:=\S+)?\s+)+/, "").trim();
}

/** The exec (JSON array) form of ENTRYPOINT, CMD, HEALTHCHECK CMD or RUN; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === "string")) {
    throw new Error(`not a JSON array of strings: ${args}`);
  }
  return parsed;
}

/** `KEY=value KEY2="value two"` as used by ENV, LABEL and ARG. */
export function keyValues(args: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = match[2];
    found[match[1]] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return found;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The last instruction of a kind wins in Docker, as it does here. */
export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return instructionsOf(stage, keyword).at(-1);
}

export function envOf(stage: Stage): Record<string, string> {
  return Object.assign({}, ...instructionsOf(stage, "ENV").map((instruction) => keyValues(instruction.args)));
}

/** Resolves a WORKDIR sequence the way Docker does: relative paths build on the previous one. */
export function workdirOf(stage: Stage): string {
  return instructionsOf(stage, "WORKDIR").reduce((current, instruction) => path.posix.resolve(current, instruction.args), "/");
}

/** Paths taken from the build context (COPY without --from), relative to the repository root. */
export function contextSources(dockerfile: Dockerfile): string[] {
  return dockerfile.stages.flatMap((stage) =>
    instructionsOf(stage, "COPY")
      .filter((instruction) => flags(instruction.args).from === undefined)
      .flatMap((instruction) => {
        const parts = execForm(stripFlags(instruction.args)) ?? stripFlags(instruction.args).split(/\s+/);
        return parts.slice(0, -1);
      }),
  );
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a context path reaches the build under .dockerignore's rules: the last rule that matches the path or
 * one of its parent directories decides, and a `!` rule lets the path back in.
 */
export function dockerignoreAllows(ignoreText: string, contextPath: string): boolean {
  const rules = ignoreText
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = path.posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, "");
      return { negated, regexp: globToRegExp(pattern) };
    });
  const segments = path.posix.normalize(contextPath).replace(/^\/+|\/+$/g, "").split("/");
  const candidates = segments.map((_, index) => segments.slice(0, index + 1).join("/"));
  let allowed = true;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regexp.test(candidate))) allowed = rule.negated;
  }
  return allowed;
}
