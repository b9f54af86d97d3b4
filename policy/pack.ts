// The pack's identity and policies, importable without starting the policy server (see index.ts).
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { alertmanagerConfigPolicies } from "./policies/alertmanagerConfig";
import { apiTypePolicies } from "./policies/apiTypes";
import { availabilityPolicies } from "./policies/availability";
import { databasePolicies } from "./policies/database";
import { imagePolicies } from "./policies/images";
import { jobPolicies } from "./policies/jobs";
import { monitoringPolicies } from "./policies/monitoring";
import { gatewayPolicies } from "./policies/gateway";
import { networkExposurePolicies } from "./policies/network";
import { podSecurityPolicies } from "./policies/podSecurity";
import { rbacPolicies } from "./policies/rbac";
import { referencePolicies } from "./policies/references";
import { secretPolicies } from "./policies/secrets";
import { workloadHygienePolicies } from "./policies/workloadHygiene";

export const packName = "kubernetes-guardrails";

/** Every policy is mandatory unless it says otherwise or the stack's policy config lowers it (dev and test run advisory). */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const policies: Policies = [
  ...apiTypePolicies,
  ...podSecurityPolicies,
  ...imagePolicies,
  ...secretPolicies,
  ...workloadHygienePolicies,
  ...jobPolicies,
  ...networkExposurePolicies,
  ...gatewayPolicies,
  ...monitoringPolicies,
  ...alertmanagerConfigPolicies,
  ...rbacPolicies,
  ...referencePolicies,
  ...availabilityPolicies,
  ...databasePolicies,
];
