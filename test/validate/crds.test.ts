import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadManifests } from "../../policy/manifests";
import { CrdFolderError, loadCrdFolder } from "../../validate/crds";
import { structuralToJsonSchema } from "../../validate/structural";
import { CrdValidator, type ValidationReport } from "../../validate/validator";
import { REPO_ROOT, runUnchecked } from "../support/processes";
import { makeTempDir } from "../support/tempDir";

const FIXTURES = path.join(__dirname, "fixtures");
const CRDS = path.join(FIXTURES, "crds");

function validateFile(file: string): ValidationReport {
  const documents = loadManifests([file]).resources.map((r) => ({ source: r.source ?? r.name, object: r.props }));
  return new CrdValidator(loadCrdFolder(CRDS)).validate(documents);
}

/** `npm run validate -- <args>` as npm runs it. */
function validateCli(args: string[]) {
  return runUnchecked(process.execPath, ["-r", require.resolve("ts-node/register"), path.join("validate", "cli.ts"), ...args], {
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
}

describe("CRD validation", function () {
  this.timeout(60_000);

  it("accepts valid custom resources, skips built-in kinds, reads List items and YAML 1.2 ('=' is a string)", () => {
    const report = validateFile(path.join(FIXTURES, "good.yaml"));
    assert.deepEqual(report.invalid, []);
    assert.deepEqual(report.missingCrd, []);
    assert.equal(report.checked, 3);
    assert.equal(report.builtIn, 1);
    assert.equal(report.celRulesNotEvaluated, 1, "the CEL rule is counted once per kind, as not evaluated");
  });

  it("reports each broken rule with the document, the object and the field path", () => {
    const report = validateFile(path.join(FIXTURES, "bad.yaml"));
    const found = report.invalid.map((p) => `${p.subject} ${p.path}: ${p.message}`);
    const expected: Array<[string, RegExp]> = [
      ["Widget shop/unknown-field", /^spec\.colour: unknown field/],
      ["Widget nested-unknown", /^spec\.template\.spec\.replicaz: unknown field/],
      ["Widget wrong-type", /^spec\.size: must be integer, is "3"/],
      ["Widget too-big", /^spec\.size: must be <= 10/],
      ["Widget exclusive-minimum", /^spec\.ratio: must be > 0/],
      ["Widget not-in-enum", /^spec\.operator: must be one of "=", "!=", "=~", is "=="/],
      ["Widget bad-pattern", /^spec\.name: must match pattern/],
      ["Widget too-long", /^spec\.name: must NOT have more than 8 characters/],
      ["Widget duplicate-set-item", /^spec\.tags: must NOT have duplicate items/],
      ["Widget map-value-type", /^spec\.labels\.team: must be string, is 7/],
      ["Widget missing-required", /^spec\.size: required field is missing/],
      ["Widget int-or-string", /^spec\.port: must be integer or string, is true/],
      ["Widget value-validation", /^spec\.selector\.app: required field is missing/],
    ];
    for (const [subject, problem] of expected) {
      assert.ok(
        found.some((line) => line.startsWith(`${subject} `) && problem.test(line.slice(subject.length + 1))),
        `expected ${subject}: ${problem}; found:\n${found.join("\n")}`,
      );
    }
    const subjects = new Set(report.invalid.map((p) => p.subject));
    assert.equal(subjects.size, expected.length, `only the broken documents are reported: ${[...subjects].join(", ")}`);
    assert.ok(report.invalid.every((p) => /bad\.yaml#\d+$/.test(p.source)));
    assert.deepEqual(
      report.missingCrd.map((p) => `${p.source.replace(/^.*bad\.yaml/, "bad.yaml")} ${p.subject}: ${p.message}`),
      [
        "bad.yaml#14 Gadget no-crd: no CRD for example.com/v1 Gadget in the CRD folder",
        "bad.yaml#15 Widget wrong-version: the CRD folder has Widget.example.com only in version(s) v1, not v2",
      ],
    );
  });

  it("checks Envoy Gateway's kinds with its typed models, and still reports a kind no model or CRD covers", () => {
    const report = validateFile(path.join(FIXTURES, "envoy-gateway.yaml"));
    assert.equal(report.checked, 2);
    assert.equal(report.byModel, 2);
    const found = report.invalid.map((p) => `${p.subject}: ${p.message}`);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0], /^BackendTrafficPolicy shop\/bad-unit: .*unit must be equal to one of the allowed values/);
    assert.deepEqual(
      report.missingCrd.map((p) => p.message),
      ["no CRD for gateway.envoyproxy.io/v1alpha1 Unheard in the CRD folder"],
    );
  });

  it("leaves preserve-unknown-fields and value validations open, closes the skeleton", () => {
    const { schema } = structuralToJsonSchema({
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: { open: { type: "object", "x-kubernetes-preserve-unknown-fields": true }, a: { type: "string" } },
          anyOf: [{ properties: { a: { minLength: 2 } } }],
        },
      },
    });
    const spec = (schema.properties as Record<string, Record<string, unknown>>).spec;
    assert.equal(spec.additionalProperties, false);
    assert.equal((spec.properties as Record<string, Record<string, unknown>>).open.additionalProperties, undefined);
    assert.equal((spec.anyOf as Array<Record<string, unknown>>)[0].additionalProperties, undefined);
  });

  describe("command line", () => {
    let dir: string;
    before(() => {
      dir = makeTempDir("fp-validate-");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("exits 0 on valid manifests, reading folders recursively", async () => {
      const nested = path.join(dir, "out", "stack");
      mkdirSync(nested, { recursive: true });
      writeFileSync(path.join(nested, "01-good.yaml"), readFileSync(path.join(FIXTURES, "good.yaml")));
      const result = await validateCli(["--crds", CRDS, path.join(dir, "out")]);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /^3 custom resources checked against their CRDs \(0 of them with typed models, 1 built-in objects skipped\)/m);
      assert.match(result.output, /Not evaluated: 1 CEL rules/);
    });

    it("exits 1 naming file, document, object and field on invalid ones", async () => {
      const result = await validateCli(["--crds", CRDS, path.join(FIXTURES, "bad.yaml")]);
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /bad\.yaml#1 Widget shop\/unknown-field: spec\.colour: unknown field/);
      assert.match(result.output, /bad\.yaml#14 Gadget no-crd: no CRD for example\.com\/v1 Gadget/);
    });

    it("exits 2 on usage errors, a bad CRD folder and unparseable manifests", async () => {
      assert.equal((await validateCli([path.join(FIXTURES, "good.yaml")])).code, 2);
      const notDir = await validateCli(["--crds", path.join(dir, "missing"), path.join(FIXTURES, "good.yaml")]);
      assert.equal(notDir.code, 2);
      assert.match(notDir.output, /missing: not a directory/);
      const broken = path.join(dir, "broken.yaml");
      writeFileSync(broken, "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [unclosed\n");
      const parse = await validateCli(["--crds", CRDS, broken]);
      assert.equal(parse.code, 2);
      assert.match(parse.output, /broken\.yaml#1: /);
    });
  });

  it("refuses a CRD folder without CRDs", () => {
    const empty = makeTempDir("fp-crds-");
    try {
      assert.throws(() => loadCrdFolder(empty), CrdFolderError);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
