/**
 * Validates custom resources in rendered manifests against their CRDs' schemas (see structural.ts for what is and
 * is not evaluated). Built-in kinds are skipped (infra/offline/schema.ts checks them against the Kubernetes OpenAPI
 * schemas); a custom resource whose CRD the folder lacks is checked with its project's typed models where those
 * exist (validate/models.ts: Envoy Gateway's), and otherwise reported, never passed silently.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { CrdIndex, CrdVersion } from "./crds";
import { validateWithModel } from "./models";
import { structuralToJsonSchema } from "./structural";

/** API groups served by Kubernetes itself; everything else is a custom resource and needs a CRD. */
const BUILT_IN_GROUPS = new Set([
  "",
  "apps",
  "batch",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "apiregistration.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "certificates.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "internal.apiserver.k8s.io",
  "storagemigration.k8s.io",
]);

/** Formats Kubernetes knows that ajv-formats does not; accepted unchecked. */
const UNCHECKED_FORMATS = ["bsonobjectid", "cidr", "mac", "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "uri-reference"];

export interface Located {
  /** `file#document`, as the manifest reader names it. */
  source: string;
  object: Record<string, unknown>;
}

export interface Problem {
  source: string;
  /** `Cluster football-prediction-prod/db`. */
  subject: string;
  /** Field path, `spec.instances`; empty for the object itself. */
  path: string;
  message: string;
}

export interface ValidationReport {
  checked: number;
  /** Of `checked`, those checked with typed models rather than a CRD (unknown fields are not refused there). */
  byModel: number;
  builtIn: number;
  invalid: Problem[];
  missingCrd: Problem[];
  /** CEL rules of the kinds checked, not evaluated (see structural.ts). */
  celRulesNotEvaluated: number;
  /** Patterns of the kinds checked that JavaScript could not compile, not evaluated. */
  patternsNotEvaluated: string[];
}

interface Compiled {
  validate: ValidateFunction;
  celRules: number;
  skippedPatterns: string[];
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `/spec/instances/0/name` → `spec.instances[0].name`. */
export function fieldPath(pointer: string, property?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (property !== undefined) parts.push(property);
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === "" ? part : `${acc}.${part}`), "");
}

function describe(error: ErrorObject): { path: string; message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return { path: fieldPath(error.instancePath, String(params.additionalProperty)), message: "unknown field (the schema does not declare it)" };
    case "required":
      return { path: fieldPath(error.instancePath, String(params.missingProperty)), message: "required field is missing" };
    case "enum":
      return {
        path: fieldPath(error.instancePath),
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, is ${JSON.stringify(error.data)}`,
      };
    case "type":
      return { path: fieldPath(error.instancePath), message: `must be ${[params.type].flat().join(" or ")}, is ${JSON.stringify(error.data)}` };
    default:
      return { path: fieldPath(error.instancePath), message: `${error.message ?? error.keyword}${error.data !== undefined && typeof error.data !== "object" ? `, is ${JSON.stringify(error.data)}` : ""}` };
  }
}

function subjectOf(object: Record<string, unknown>): string {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(object.kind)} ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name ?? "(unnamed)"}`;
}

export class CrdValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<CrdVersion, Compiled>();

  constructor(private readonly crds: CrdIndex) {
    this.ajv = new Ajv({ allErrors: true, verbose: true, strict: false, unicodeRegExp: false, logger: false });
    addFormats(this.ajv);
    UNCHECKED_FORMATS.forEach((format) => this.ajv.addFormat(format, true));
  }

  private compile(crd: CrdVersion): Compiled {
    let compiled = this.compiled.get(crd);
    if (compiled === undefined) {
      const conversion = structuralToJsonSchema(crd.openAPIV3Schema);
      compiled = { validate: this.ajv.compile(conversion.schema), celRules: conversion.celRules, skippedPatterns: conversion.skippedPatterns };
      this.compiled.set(crd, compiled);
    }
    return compiled;
  }

  validate(documents: Located[]): ValidationReport {
    const report: ValidationReport = { checked: 0, byModel: 0, builtIn: 0, invalid: [], missingCrd: [], celRulesNotEvaluated: 0, patternsNotEvaluated: [] };
    const kindsSeen = new Set<CrdVersion>();
    for (const { source, object } of documents) {
      const { group, version } = splitApiVersion(String(object.apiVersion));
      const kind = String(object.kind);
      if (BUILT_IN_GROUPS.has(group)) {
        report.builtIn += 1;
        continue;
      }
      const subject = subjectOf(object);
      const crd = this.crds.get(group, version, kind);
      const modelProblems = crd === undefined ? validateWithModel(object) : undefined;
      if (modelProblems !== undefined) {
        report.checked += 1;
        report.byModel += 1;
        report.invalid.push(...modelProblems.map((message) => ({ source, subject, path: "", message })));
        continue;
      }
      if (crd === undefined) {
        const versions = this.crds.versionsOf(group, kind);
        const message =
          versions.length === 0
            ? `no CRD for ${group}/${version} ${kind} in the CRD folder`
            : `the CRD folder has ${kind}.${group} only in version(s) ${versions.join(", ")}, not ${version}`;
        report.missingCrd.push({ source, subject, path: "", message });
        continue;
      }
      report.checked += 1;
      const compiled = this.compile(crd);
      if (!kindsSeen.has(crd)) {
        kindsSeen.add(crd);
        report.celRulesNotEvaluated += compiled.celRules;
        report.patternsNotEvaluated.push(...compiled.skippedPatterns);
      }
      if (!compiled.validate(object)) {
        for (const error of compiled.validate.errors ?? []) {
          report.invalid.push({ source, subject, ...describe(error) });
        }
      }
    }
    return report;
  }
}

export function formatValidationReport(report: ValidationReport): string {
  const line = (p: Problem) => `${p.source} ${p.subject}: ${p.path === "" ? "" : `${p.path}: `}${p.message}`;
  const invalidObjects = new Set(report.invalid.map((p) => p.source)).size;
  return [
    ...report.invalid.map(line),
    ...report.missingCrd.map(line),
    ...(report.invalid.length + report.missingCrd.length > 0 ? [""] : []),
    `${report.checked} custom resources checked against their CRDs (${report.byModel} of them with typed models, ` +
      `${report.builtIn} built-in objects skipped): ` +
      `${invalidObjects} invalid with ${report.invalid.length} problems, ${report.missingCrd.length} without a CRD in the folder.`,
    `Not evaluated: ${report.celRulesNotEvaluated} CEL rules (x-kubernetes-validations) of the kinds checked` +
      (report.patternsNotEvaluated.length === 0 ? "." : `, and ${report.patternsNotEvaluated.length} patterns JavaScript cannot compile.`),
  ].join("\n");
}

export function hasProblems(report: ValidationReport): boolean {
  return report.invalid.length > 0 || report.missingCrd.length > 0;
}
