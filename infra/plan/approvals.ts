/**
 * The reviewed opt-in for a destructive change: an entry in stacks/destructive-changes.yaml naming the stack, the
 * resource (type and name, as the plan prints them) and why. Only entries the change itself adds count (those
 * missing from the file at the base), so an approval is part of the diff reviewers approve, and one merged for a
 * past change never lets a later one through; the file is the record of every approved loss.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { REPO_ROOT } from "../offline/stackConfig";
import { PlanError } from "./base";
import type { PlannedChange } from "./plan";

export const APPROVALS_FILE = path.join("stacks", "destructive-changes.yaml");

const approval = z.strictObject({
  stack: z.string().min(1),
  /** Pulumi type token, e.g. `kubernetes:core/v1:Namespace`. */
  type: z.string().min(1),
  /** Pulumi logical name, e.g. `namespace`. */
  name: z.string().min(1),
  reason: z.string().min(10, "must say why the loss is acceptable (at least 10 characters)"),
});
export type Approval = z.infer<typeof approval>;

const approvalsFile = z.strictObject({ approvals: z.array(approval).nullable() });

/** The line of the node at `keyPath`, or of its nearest ancestor there is (a missing key's entry), else 1. */
function lineOf(document: ReturnType<typeof parseDocument>, keyPath: PropertyKey[], text: string): number {
  for (let depth = keyPath.length; depth > 0; depth--) {
    const node = document.getIn(keyPath.slice(0, depth), true) as { range?: [number, number] } | undefined;
    if (node?.range !== undefined) return text.slice(0, node.range[0]).split("\n").length;
  }
  return 1;
}

/** Parses the file's text; an error names the file, the line and the problem. */
export function parseApprovals(text: string, file: string): Approval[] {
  const document = parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    throw new PlanError(`${file}:${error.linePos?.[0].line ?? 1}: ${error.message.split("\n")[0]}`);
  }
  const parsed = approvalsFile.safeParse(document.toJS() ?? { approvals: [] });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const line = lineOf(document, issue.path, text);
    throw new PlanError(`${file}:${line}: ${issue.path.join(".") || "the file"}: ${issue.message}`);
  }
  return parsed.data.approvals ?? [];
}

function key(entry: Pick<Approval, "stack" | "type" | "name">): string {
  return `${entry.stack}\0${entry.type}\0${entry.name}`;
}

/** The file at `commit`, or nothing when the base has none. */
function atBase(commit: string, root: string): string | undefined {
  try {
    return execFileSync("git", ["show", `${commit}:./${APPROVALS_FILE}`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

/**
 * The approvals this change adds: entries of the working tree's file that the base's file does not hold, in the
 * checkout at `root` (this one unless a test points elsewhere).
 */
export function addedApprovals(baseCommit: string, root = REPO_ROOT): Approval[] {
  const file = path.join(root, APPROVALS_FILE);
  if (!existsSync(file)) return [];
  const current = parseApprovals(readFileSync(file, "utf8"), APPROVALS_FILE);
  const baseText = atBase(baseCommit, root);
  let before = new Set<string>();
  try {
    before = new Set((baseText === undefined ? [] : parseApprovals(baseText, `${APPROVALS_FILE} at the base`)).map(key));
  } catch {
    // A base whose file did not parse approved nothing usable; every entry of the fixed file is this change's.
  }
  return current.filter((entry) => !before.has(key(entry)));
}

/** The approval covering `change` in `stack`, if this change carries one. */
export function approvalFor(change: PlannedChange, stack: string, approvals: Approval[]): Approval | undefined {
  return approvals.find((entry) => key(entry) === key({ stack, type: change.type, name: change.name }));
}
