/**
 * Labels of the objects this project creates itself (namespaces, issuers, policies); the charts label their own
 * objects. Pod Security levels per namespace live here too: the log shipper needs host paths, nothing else does.
 */
export const PLATFORM_PART_OF = "football-prediction-platform";

export function platformLabels(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": PLATFORM_PART_OF,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

export type PodSecurityLevel = "restricted" | "privileged";

/** Enforce the namespace's level, and audit and warn at restricted everywhere so exceptions stay visible. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
}
