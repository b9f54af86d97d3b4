// The report of a run: violations grouped per policy, mandatory ones first, each with the resource (and, for
// manifests, the file and document) it concerns.
import type { PolicyReport, PolicyViolation } from "./runner";

export function hasMandatoryViolations(report: PolicyReport): boolean {
  return report.violations.some((violation) => violation.enforcementLevel === "mandatory");
}

function subjectOf(violation: PolicyViolation): string {
  if (!violation.resourceType) {
    return violation.source ?? "(stack)";
  }
  const kind = violation.resourceType.split(":").at(-1);
  return `${kind} ${violation.resourceName}${violation.source ? ` (${violation.source})` : ""}`;
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

/** A table of violations per policy, mandatory ones first, ending with the totals. */
export function formatReport(report: PolicyReport): string {
  const title = `Policy report${report.stack ? ` for stack ${report.stack}` : ""}: ${report.policiesRun} policies, ${report.resourcesChecked} resources`;
  if (report.violations.length === 0) {
    return `${title}\nNo policy violations.`;
  }
  const byPolicy = new Map<string, PolicyViolation[]>();
  for (const violation of report.violations) {
    byPolicy.set(violation.policyName, [...(byPolicy.get(violation.policyName) ?? []), violation]);
  }
  const groups = [...byPolicy.values()].sort((a, b) => Number(b[0].enforcementLevel === "mandatory") - Number(a[0].enforcementLevel === "mandatory"));
  const lines = [title, ""];
  for (const group of groups) {
    const [first] = group;
    lines.push(`${first.policyName} [${first.enforcementLevel}${first.severity ? `, ${first.severity}` : ""}] ${group.length} violation${group.length === 1 ? "" : "s"}`);
    lines.push(`  ${first.description}`);
    const width = Math.max(...group.map((violation) => subjectOf(violation).length));
    for (const violation of group) {
      lines.push(`  - ${pad(subjectOf(violation), width)}  ${violation.message}`);
    }
    lines.push("");
  }
  const mandatory = report.violations.filter((violation) => violation.enforcementLevel === "mandatory").length;
  lines.push(`${mandatory} mandatory, ${report.violations.length - mandatory} advisory violation${report.violations.length === 1 ? "" : "s"}.`);
  return lines.join("\n");
}
