import assert from "node:assert/strict";
import path from "node:path";
import { loadCrdFolder } from "../../validate/crds";
import { CrdValidator, formatValidationReport, hasProblems } from "../../validate/validator";
import { REPO_ROOT } from "../support/processes";

/**
 * The upstream CRDs the offline preview is validated against: CI lays shared/ beside the clone (.ci/run); a
 * checkout elsewhere names the folder in FP_CRDS.
 */
const CRDS_DIR = process.env.FP_CRDS ?? path.join(REPO_ROOT, "..", "shared", "crds");

let validator: CrdValidator | undefined;

/** Fails unless every object passes its CRD's schema, with the validator's report as the message. */
export function assertValidAgainstCrds(objects: Record<string, unknown>[]): void {
  validator ??= new CrdValidator(loadCrdFolder(CRDS_DIR));
  const report = validator.validate(
    objects.map((object, index) => ({ source: `object#${index}`, object })),
  );
  assert.ok(!hasProblems(report), formatValidationReport(report));
  assert.equal(report.checked, objects.length, "every object is a custom resource checked against its CRD");
}
