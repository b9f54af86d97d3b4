// The pack's identity and policies, importable without starting the policy server (see index.ts).
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { availabilityPolicies } from "./policies/availability";
import { networkExposurePolicies } from "./policies/network";
import { podSecurityPolicies } from "./policies/podSecurity";
import { rbacPolicies } from "./policies/rbac";
import { workloadHygienePolicies } from "./policies/workloadHygiene";

export const packName = "kubernetes-guardrails";

/** Every policy is mandatory unless the stack's policy config lowers it (dev and test run advisory). */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const policies: Policies = [
  ...podSecurityPolicies,
  ...workloadHygienePolicies,
  ...networkExposurePolicies,
  ...rbacPolicies,
  ...availabilityPolicies,
];
