import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { policies } from "../../policy/pack";
import { loadPolicyConfig, resolvePolicyConfig } from "../../policy/runner";

const policyDir = path.join(__dirname, "../../policy");
const STACKS = ["dev", "test", "staging", "prod"];

describe("policy pack", () => {
  it("is a Pulumi policy pack the CLI can run", () => {
    const project = parse(fs.readFileSync(path.join(policyDir, "PulumiPolicy.yaml"), "utf8"));
    assert.strictEqual(project.runtime, "nodejs");
    const manifest = JSON.parse(fs.readFileSync(path.join(policyDir, "package.json"), "utf8"));
    assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
    assert.strictEqual(manifest.main, "index.ts");
  });

  it("names each policy uniquely, describes it and grades its severity", () => {
    const names = policies.map((policy) => policy.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const policy of policies) {
      assert.match(policy.name, /^[a-z0-9-]+$/);
      assert.notStrictEqual(policy.name, "all");
      assert.match(policy.description, /: .+\.$/, `${policy.name} must say what to change`);
      assert.ok(policy.severity, `${policy.name} has no severity`);
    }
  });

  it("keeps enforcementLevel out of every configSchema, which would make the pack exit", () => {
    for (const policy of policies) {
      assert.ok(!policy.configSchema?.properties.enforcementLevel, policy.name);
      assert.ok(!policy.configSchema?.required?.includes("enforcementLevel"), policy.name);
    }
  });

  describe("per-environment config", () => {
    for (const stack of STACKS) {
      it(`${stack}.json is valid and names only the pack's policies and their properties`, () => {
        const config = loadPolicyConfig(stack);
        const unknown = Object.entries(config).flatMap(([name, entry]) => {
          const policy = policies.find((candidate) => candidate.name === name);
          if (name === "all") {
            return [];
          }
          if (!policy) {
            return [name];
          }
          const properties = typeof entry === "string" ? [] : Object.keys(entry).filter((key) => key !== "enforcementLevel");
          return properties.filter((key) => !policy.configSchema?.properties[key]).map((key) => `${name}.${key}`);
        });
        assert.deepStrictEqual(unknown, [], "the Pulumi CLI ignores config for unknown policies and properties");
        const levels = new Set([...resolvePolicyConfig(config).values()].map((entry) => entry.enforcementLevel));
        assert.deepStrictEqual([...levels], [stack === "dev" || stack === "test" ? "advisory" : "mandatory"]);
      });
    }

    it("flags only prod as a production environment", () => {
      for (const stack of STACKS) {
        const resolved = resolvePolicyConfig(loadPolicyConfig(stack));
        for (const policy of ["deployment-pod-disruption-budget", "hpa-min-replicas", "statefulset-backup"]) {
          assert.strictEqual(resolved.get(policy)?.properties.production, stack === "prod", `${stack}: ${policy}`);
        }
      }
    });
  });
});
