/**
 * The policy pack (policy/) over a stack rendered offline, as `pulumi preview --policy-pack policy
 * --policy-pack-config policy/config/<stack>.json` would run it: the preview prints this report after its
 * resource summary, and the tests check every stack with it.
 */
import { loadPolicyConfig, runPolicies, type PolicyReport, type StackResource } from "../../policy/runner";
import type { RenderedStack } from "./render";

/** The rendered resources as the engine hands them to policies: inputs as `props`, parents and dependencies as URNs. */
export function policyResources(rendered: RenderedStack): StackResource[] {
  return rendered.resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.inputs,
    parent: resource.parent,
    dependencies: resource.dependsOn,
  }));
}

/**
 * Runs the pack over `resources` with the stack's own policy config: policy/config/<stack>.json, or the file that
 * `configName` names (the platform stacks use platform-<stack>).
 */
export function checkPolicies(stack: string, resources: StackResource[], configName: string = stack): Promise<PolicyReport> {
  return runPolicies(resources, loadPolicyConfig(configName), { stack });
}
