/**
 * The plan as people read it (the symbols of `pulumi preview --diff`) and as machines do (`--json`).
 */
import type { Operation, Plan, PlannedChange } from "./plan";

export const SYMBOLS: Record<Operation, string> = { create: "+", update: "~", replace: "+-", delete: "-" };

/** Deletes last, as the engine runs them; otherwise in the order the program registers resources. */
const ORDER: Record<Operation, number> = { replace: 0, create: 1, update: 1, delete: 2 };

function describe(change: PlannedChange): string[] {
  const head = `${SYMBOLS[change.op].padEnd(2)} ${change.type}  ${change.name}`;
  const removes = change.op === "replace" || change.op === "delete";
  const flags = [
    change.deleteBeforeReplace ? "(delete-before-replace)" : "",
    removes && change.protect ? "(protected: pulumi up stops here)" : "",
    removes && change.retainOnDelete ? "(retained: the old object stays in the cluster)" : "",
    change.destructive ? (change.approved === undefined ? "[destructive]" : "[destructive, approved]") : "",
  ];
  const lines = [[head, ...flags].filter((part) => part !== "").join(" ")];
  if (change.op === "update") {
    lines.push(...change.changed.map((path) => `      ~ ${path}`));
  } else if (change.op === "replace") {
    const cause = change.cause === undefined ? "" : ` (${change.cause})`;
    lines.push(...change.replaceReasons.map((reason) => `      replaced because of ${reason}${cause}`));
    if (change.replaceReasons.length === 0 && change.cause !== undefined) lines.push(`      replaced because ${change.cause}`);
    const others = change.changed.filter((path) => !change.replaceReasons.includes(path));
    lines.push(...others.map((path) => `      ~ ${path}`));
  }
  return lines;
}

export interface PlanHeading {
  /** What the base is, e.g. `main (3f2a1c0)`. */
  base: string;
}

export function summaryLine(plan: Plan): string {
  const { counts } = plan;
  const parts = (["create", "update", "replace", "delete"] as const)
    .filter((op) => counts[op] > 0)
    .map((op) => `${SYMBOLS[op]} ${counts[op]} to ${op}`);
  return `Resources: ${[...parts, `${counts.same} unchanged`].join(", ")}`;
}

/** Destructive changes no approval covers: what the gate refuses. */
export function destructiveChanges(plan: Plan): PlannedChange[] {
  return plan.changes.filter((c) => c.destructive && c.approved === undefined);
}

export function formatPlan(plan: Plan, heading: PlanHeading): string {
  const sorted = plan.changes
    .map((change, index) => ({ change, index }))
    .sort((a, b) => ORDER[a.change.op] - ORDER[b.change.op] || a.index - b.index)
    .map(({ change }) => change);
  const lines = [`Plan for stack ${plan.stack}: ${heading.base} → working tree`, ""];
  lines.push(...(sorted.length === 0 ? ["    no changes"] : sorted.flatMap(describe)));
  lines.push("", summaryLine(plan));
  const name = (c: PlannedChange) => `${SYMBOLS[c.op]} ${c.type} ${c.name}`;
  const destructive = destructiveChanges(plan);
  if (destructive.length > 0) lines.push(`Destructive: ${destructive.map(name).join("; ")}`);
  const approved = plan.changes.filter((c) => c.destructive && c.approved !== undefined);
  if (approved.length > 0) lines.push(`Approved: ${approved.map((c) => `${name(c)} (${c.approved})`).join("; ")}`);
  lines.push(...plan.notes.map((note) => `Note: ${note}`));
  return lines.join("\n");
}

export function planJson(plan: Plan, heading: PlanHeading): Record<string, unknown> {
  return { stack: plan.stack, base: heading.base, counts: plan.counts, changes: plan.changes, notes: plan.notes };
}
