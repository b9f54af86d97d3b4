// Pod Security Standards as Pod Security Admission (k8s.io/pod-security-admission/policy) evaluates them: each
// control is a list of versioned checks, and a pod is judged by the newest check whose minimum version is at or
// below the policy version, `latest` or a pinned `v1.NN` as in the `pod-security.kubernetes.io/enforce-version`
// namespace label. Like PSA's registry, a version above the newest registered one means the newest.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ExemptNamespacesConfig, podPolicy, PolicyInfo } from "./define";
import type { PodTemplate } from "./k8s";

/**
 * The newest MinimumVersion registered in PSA's policy directory (`cgroupOptions_restricted`, 1.38), so what
 * `latest` means. PSA's own `latest` is the same clamp: the newest version any check registers.
 */
export const LATEST_POLICY_VERSION = 38;

const VERSION_PATTERN = "^(latest|v1\\.(0|[1-9][0-9]*))$";

export const policyVersionSchema: PolicyConfigJSONSchema = {
  type: "string",
  pattern: VERSION_PATTERN,
  default: "latest",
  description: `Pod Security Standards version to judge by, as the pod-security.kubernetes.io/enforce-version label takes it: latest (v1.${LATEST_POLICY_VERSION}) or v1.NN.`,
};

export interface PolicyVersionConfig extends ExemptNamespacesConfig {
  version?: string;
}

/** The minor version a `latest`/`v1.NN` value stands for, clamped to the newest one PSA registers. */
export function policyMinor(version = "latest"): number {
  if (!new RegExp(VERSION_PATTERN).test(version)) {
    throw new Error(`policy version "${version}" is neither latest nor v1.<minor>`);
  }
  return version === "latest" ? LATEST_POLICY_VERSION : Math.min(Number(version.slice(3)), LATEST_POLICY_VERSION);
}

export interface VersionedCheck {
  /** PSA's MinimumVersion of this revision, as the minor of 1.NN. */
  since: number;
  check: (pod: PodTemplate) => string[];
}

/** The revision of a control in force at a policy version; undefined before the control exists. */
export function revisionAt(versions: VersionedCheck[], minor: number): VersionedCheck | undefined {
  return [...versions].sort((a, b) => a.since - b.since).findLast((revision) => revision.since <= minor);
}

/** One Pod Security Standards control, checked at the policy version its config names. */
export function pssControl(info: PolicyInfo & { versions: VersionedCheck[] }): ResourceValidationPolicy {
  return podPolicy<PolicyVersionConfig>({
    ...info,
    config: { version: policyVersionSchema, ...info.config },
    check: (pod, { version }) => revisionAt(info.versions, policyMinor(version))?.check(pod) ?? [],
  });
}

/** `pod` for messages about the pod-level field at `field`, e.g. `spec.template.spec.securityContext.runAsUser`. */
export function podField(pod: PodTemplate, field: string): string {
  return `${pod.specPath}.securityContext.${field}`;
}

/** Pods declared to run in a user namespace; PSA relaxes runAsNonRoot and runAsUser for them from 1.35. */
export function inUserNamespace(pod: PodTemplate): boolean {
  return pod.spec.hostUsers === false;
}
