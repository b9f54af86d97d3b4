/**
 * The `readme-test` comment before a shell block: whether it runs, and what its commands must do. The convention
 * is documented in test/readme/README.md; this module is its parser.
 */
import type { Marker } from "./markdown";

/** What a block or command needs that this machine does not have; such commands are checked, not run. */
export const NEEDS = ["pulumi", "cluster", "docker", "github", "crds"] as const;
export type Need = (typeof NEEDS)[number];

export interface Serves {
  /** A number, or `${VAR}` read from the run's environment. */
  port: string;
  path: string;
}

export type Expectation =
  | { kind: "exit"; code: number }
  | { kind: "http"; status: number }
  | { kind: "json"; path: string; value?: unknown }
  | { kind: "prints"; pattern: RegExp }
  | { kind: "serves"; serves: Serves };

export interface Rule {
  /** Applies to every command of the block whose text starts with this. */
  prefix: string;
  line: number;
  expectations: Expectation[];
  needs: Need[];
  skip?: string;
}

export interface BlockPlan {
  /** Set: the whole block is checked, not run. */
  needs: Need[];
  skip?: string;
  /** Long-running commands started before the block and stopped after it. */
  during: Array<{ command: string; serves: Serves }>;
  rules: Rule[];
}

export class MarkerError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const SERVES = /^serves :(\d+|\$\{\w+\})(\/\S*)$/;

function parseNeeds(words: string, line: number): Need[] {
  const needs = words.split(/[\s,]+/).filter((word) => word !== "");
  const unknown = needs.filter((need) => !(NEEDS as readonly string[]).includes(need));
  if (needs.length === 0 || unknown.length > 0) {
    throw new MarkerError(line, `"needs" takes one or more of ${NEEDS.join(", ")}${unknown.length > 0 ? `, not ${unknown.join(", ")}` : ""}`);
  }
  return needs as Need[];
}

function parseServes(text: string, line: number): Serves {
  const match = SERVES.exec(text.trim());
  if (match === null) throw new MarkerError(line, `"${text.trim()}": expected serves :<port>/<path>, e.g. serves :8000/ready`);
  return { port: match[1], path: match[2] };
}

function parseExpectation(text: string, line: number): Expectation {
  const [keyword, ...rest] = text.trim().split(/\s+/);
  const argument = rest.join(" ");
  switch (keyword) {
    case "exit":
    case "http": {
      const value = Number(argument);
      if (!/^\d{1,3}$/.test(argument)) throw new MarkerError(line, `"${text.trim()}": ${keyword} takes a number`);
      return keyword === "exit" ? { kind: "exit", code: value } : { kind: "http", status: value };
    }
    case "json": {
      const match = /^(\S+)(?:\s*=\s*(.+))?$/.exec(argument);
      if (match === null) throw new MarkerError(line, `"${text.trim()}": expected json <path> [= <JSON value>]`);
      if (match[2] === undefined) return { kind: "json", path: match[1] };
      try {
        return { kind: "json", path: match[1], value: JSON.parse(match[2]) };
      } catch {
        throw new MarkerError(line, `"${text.trim()}": the value after = must be JSON`);
      }
    }
    case "prints": {
      const match = /^\/(.+)\/([a-z]*)$/.exec(argument);
      if (match === null) throw new MarkerError(line, `"${text.trim()}": expected prints /<regular expression>/`);
      return { kind: "prints", pattern: new RegExp(match[1], match[2]) };
    }
    case "serves":
      return { kind: "serves", serves: parseServes(text, line) };
    default:
      throw new MarkerError(line, `"${text.trim()}": unknown expectation (exit, http, json, prints, serves, needs, skip:)`);
  }
}

/** `# ...` outside backticks ends a line's directives. */
function withoutComment(text: string): string {
  let inTicks = false;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === "`") inTicks = !inTicks;
    if (!inTicks && text[i] === "#" && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i).trim();
  }
  return text.trim();
}

function parseRule(text: string, line: number): Rule {
  const match = /^`([^`]+)`\s*:\s*(.+)$/.exec(text);
  if (match === null) throw new MarkerError(line, `"${text}": expected \`<command start>\`: <expectation>, ...`);
  const rule: Rule = { prefix: match[1].trim(), line, expectations: [], needs: [] };
  const skip = /(?:^|,)\s*skip:\s*(.+)$/.exec(match[2]);
  const parts = (skip === null ? match[2] : match[2].slice(0, skip.index)).split(",").filter((part) => part.trim() !== "");
  if (skip !== null) rule.skip = skip[1].trim();
  for (const part of parts) {
    if (/^\s*needs\s/.test(part)) rule.needs.push(...parseNeeds(part.trim().slice("needs".length), line));
    else rule.expectations.push(parseExpectation(part, line));
  }
  return rule;
}

/** Parses a marker; throws MarkerError naming the line of a malformed directive. */
export function parsePlan(marker: Marker | undefined): BlockPlan {
  const plan: BlockPlan = { needs: [], during: [], rules: [] };
  if (marker === undefined) return plan;
  marker.text.split("\n").forEach((raw, offset) => {
    const line = marker.line + offset;
    const text = withoutComment(raw);
    if (text === "" || text === "run") return;
    if (text.startsWith("needs ")) {
      plan.needs.push(...parseNeeds(text.slice("needs".length), line));
    } else if (text.startsWith("skip:")) {
      plan.skip = text.slice("skip:".length).trim();
      if (plan.skip === "") throw new MarkerError(line, "skip: needs a reason");
    } else if (text.startsWith("while ")) {
      const match = /^while `([^`]+)`\s+(serves .+)$/.exec(text);
      if (match === null) throw new MarkerError(line, `"${text}": expected while \`<command>\` serves :<port>/<path>`);
      plan.during.push({ command: match[1], serves: parseServes(match[2], line) });
    } else {
      plan.rules.push(parseRule(text, line));
    }
  });
  return plan;
}
