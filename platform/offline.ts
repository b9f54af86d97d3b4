/**
 * The platform project under the offline harness of infra/offline: the same mock runtime, config loading and
 * reports as the environment stacks, with this project's files, program and policy configs.
 *
 *   npm run preview -- platform:<stack>     (local, nonprod, staging, prod)
 */
import { checkPolicies, policyResources } from "../infra/offline/policy";
import { PLATFORM_FILES, renderPlatformStack, type RenderedStack } from "../infra/offline/render";
import type { PolicyReport } from "../policy/runner";

export const PLATFORM_STACKS = ["local", "nonprod", "staging", "prod"] as const;
export type PlatformStack = (typeof PLATFORM_STACKS)[number];

/** How `npm run preview` names a platform stack, apart from the environment stacks of the same name. */
export const PLATFORM_PREFIX = "platform:";

export { PLATFORM_FILES, renderPlatformStack };

/** The policy config a platform stack is checked with: policy/config/platform-<stack>.json. */
export function platformPolicyConfig(stack: string): string {
  return `platform-${stack}`;
}

export function checkPlatformPolicies(rendered: RenderedStack): Promise<PolicyReport> {
  return checkPolicies(`${PLATFORM_PREFIX}${rendered.stack}`, policyResources(rendered), platformPolicyConfig(rendered.stack));
}
