// Pod Security Standards, restricted profile: one policy per control, each judged at the policy version its
// config names (`version`: latest or v1.NN), so the pack and Pod Security Admission agree on every pod.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { baselineControls } from "./baseline";
import { restrictedControls } from "./restricted";

export const podSecurityPolicies: ResourceValidationPolicy[] = [...baselineControls, ...restrictedControls];
