/**
 * Text reports of the offline preview: a `pulumi preview`-like resource tree with per-type counts, and the table
 * of settings that differ between two stacks.
 */
import { stringify } from "yaml";
import { parseSettings, PROJECT, type Settings } from "../config";
import type { RenderedResource, RenderedStack } from "./render";
import { loadStackConfig } from "./stackConfig";

function padEnd(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + " ".repeat(width - text.length);
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value, null, 0);
}

/** The resource tree, as `pulumi preview` draws it: every resource a `+ create`, children under their parent. */
export function resourceTree(rendered: RenderedStack): string[] {
  const children = new Map<string | undefined, RenderedResource[]>();
  for (const r of rendered.resources) {
    children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const rows: Array<[string, string]> = [];
  const walk = (resource: RenderedResource, prefix: string, branch: string) => {
    rows.push([`${prefix}${branch}${resource.type}`, resource.name]);
    const childPrefix = branch === "" ? "" : prefix + (branch === "└─ " ? "   " : "│  ");
    const kids = children.get(resource.urn) ?? [];
    kids.forEach((kid, i) => walk(kid, childPrefix, i === kids.length - 1 ? "└─ " : "├─ "));
  };
  for (const root of children.get(undefined) ?? []) {
    walk(root, "", "");
  }
  const width = Math.max(...rows.map(([type]) => type.length)) + 2;
  return [`     ${padEnd("Type", width)}Name`, ...rows.map(([type, name]) => ` +   ${padEnd(type, width)}${name}`)];
}

export function countsByType(rendered: RenderedStack): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of rendered.resources) {
    counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Outputs as the CLI prints them; secret outputs masked. */
export function formatOutputs(rendered: RenderedStack): string[] {
  return Object.entries(rendered.outputs).map(([key, value]) =>
    `    ${key}: ${rendered.secretOutputs.includes(key) ? "[secret]" : formatValue(value)}`,
  );
}

const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/**
 * Each Helm release as the engine registers it, one resource: chart, version, repository, namespace and the values
 * Helm will render the chart with (what `pulumi preview --diff` shows of a release).
 */
export function helmReleases(rendered: RenderedStack): string[] {
  return rendered.resources
    .filter((r) => r.type === HELM_RELEASE_TYPE)
    .flatMap((r) => {
      const { name, chart, version, namespace, repositoryOpts, values } = r.inputs as Record<string, unknown>;
      const repo = (repositoryOpts as { repo?: string } | undefined)?.repo ?? "";
      const valuesText = stringify(values ?? {}, { lineWidth: 0 }).trimEnd();
      return [
        `    ${String(name)}: ${String(chart)} ${String(version)} from ${repo} in namespace ${String(namespace)}`,
        "      values:",
        ...valuesText.split("\n").map((line) => `        ${line}`),
      ];
    });
}

export function previewReport(rendered: RenderedStack, elapsedMs: number): string {
  const releases = helmReleases(rendered);
  const counts = countsByType(rendered);
  const width = Math.max(...counts.map(([type]) => type.length)) + 2;
  return [
    `Previewing update (${rendered.stack}) of ${rendered.project} offline: mock runtime, ${rendered.configFile}, no cluster`,
    "",
    ...resourceTree(rendered),
    "",
    ...(releases.length === 0 ? [] : ["Helm releases:", ...releases, ""]),
    // As `pulumi preview` shows what the program logged: here, what `pulumi up` would refuse (infra/readiness.ts).
    ...(rendered.warnings.length === 0 ? [] : ["Diagnostics:", ...rendered.warnings.map((warning) => `    warning: ${warning}`), ""]),
    "Outputs:",
    ...formatOutputs(rendered),
    "",
    "Resources:",
    `    + ${rendered.resources.length} to create`,
    "",
    "Per type:",
    ...counts.map(([type, count]) => `    ${padEnd(type, width)}${count}`),
    "",
    `Rendered in ${elapsedMs} ms`,
  ].join("\n");
}

/** `{ a: { b: 1 } }` → `{ "a.b": 1 }`; arrays stay whole (a list of CIDRs reads best as one value). */
function flatten(value: unknown, prefix = "", into: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      flatten(child, prefix === "" ? key : `${prefix}.${key}`, into);
    }
  } else {
    into[prefix] = value;
  }
  return into;
}

export function stackSettings(stack: string): Settings {
  const { values } = loadStackConfig(stack);
  return parseSettings(stack, (key) => values[`${PROJECT}:${key}`]);
}

/** Rows of every setting whose value differs between the two stacks (absent settings show as "—"). */
export function settingsDiff(left: string, right: string): Array<[string, string, string]> {
  const a = flatten(stackSettings(left));
  const b = flatten(stackSettings(right));
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const show = (v: unknown) => (v === undefined ? "—" : formatValue(v));
  return keys
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => [key, show(a[key]), show(b[key])]);
}

export function diffReport(left: string, right: string): string {
  const rows: Array<[string, string, string]> = [["setting", left, right], ...settingsDiff(left, right)];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: [string, string, string]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [
    `Settings that differ between ${left} and ${right} (${rows.length - 1}):`,
    "",
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
  ].join("\n");
}
