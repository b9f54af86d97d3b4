// Builders for the pack's policies. Each policy is a short declaration: name, what to change, severity, the
// equivalent checks of the scanners teams already run, its config, and a check that returns one message per
// violation. The builders find the object's kind from its type token, apply the namespace exemption from config,
// and turn an object whose fields have the wrong types into "not applicable" (kubernetes-schema names the field)
// instead of a crash.
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { groupKind, isClusterScoped, KubernetesObject, namespaceOf, PodTemplate, podTemplateOf, WORKLOAD_TYPE_DESCRIPTION } from "./k8s";
import { schemaProblems } from "./schema";

export const exemptNamespacesSchema: PolicyConfigJSONSchema = {
  type: "array",
  items: { type: "string", minLength: 1 },
  uniqueItems: true,
  default: [],
  description: "Namespaces whose objects this policy does not check.",
};

export interface ExemptNamespacesConfig {
  exemptNamespaces?: string[];
}

/** Check IDs of the same rule in the scanners platform teams run next to the pack; an empty list means none. */
export interface Counterparts {
  polaris?: string[];
  kubeLinter?: string[];
  kubeScore?: string[];
}

const SCANNERS: Array<[keyof Counterparts, string]> = [
  ["polaris", "Polaris"],
  ["kubeLinter", "kube-linter"],
  ["kubeScore", "kube-score"],
];

/** `Polaris: a, b; kube-linter: c; kube-score: none`, as descriptions and the README table show it. */
export function describeCounterparts(counterparts: Counterparts): string {
  return SCANNERS.map(([key, tool]) => `${tool}: ${(counterparts[key] ?? []).join(", ") || "none"}`).join("; ");
}

export interface PolicyInfo {
  name: string;
  /** What the policy requires and what to change, ending with a full stop. */
  description: string;
  severity: Severity;
  counterparts: Counterparts;
  /** Only for policies that must not default to the pack's level (see kubernetes-known-kind). */
  enforcementLevel?: EnforcementLevel;
  /** Config properties besides `exemptNamespaces`, which every policy built here accepts. */
  config?: PolicyConfigSchema["properties"];
}

function common(info: PolicyInfo) {
  return {
    name: info.name,
    description: `${info.description} Equivalent checks: ${describeCounterparts(info.counterparts)}.`,
    severity: info.severity,
    ...(info.enforcementLevel ? { enforcementLevel: info.enforcementLevel } : {}),
    configSchema: { properties: { exemptNamespaces: exemptNamespacesSchema, ...info.config } } as PolicyConfigSchema,
  };
}

function exempt(args: ResourceValidationArgs, namespace: string): void {
  const { exemptNamespaces = [] } = args.getConfig<ExemptNamespacesConfig>();
  if (exemptNamespaces.includes(namespace)) {
    args.notApplicable(`namespace "${namespace}" is exempt`);
  }
}

/**
 * Runs a check; a TypeError from an object its schema refuses (`containers: "oops"`) makes the policy not
 * applicable, since kubernetes-schema already reports the field. Any other error is a defect and propagates.
 */
function guarded(args: ResourceValidationArgs, check: () => string[]): string[] {
  try {
    return check();
  } catch (error) {
    if (error instanceof TypeError && (schemaProblems(args.type, args.props) ?? []).length > 0) {
      args.notApplicable("the object does not match its Kubernetes schema (see kubernetes-schema)");
    }
    throw error;
  }
}

function report(messages: string[], reportViolation: ReportViolation): void {
  for (const message of messages) {
    reportViolation(message);
  }
}

/** A policy over every object that holds a pod (see `podTemplateOf`). */
export function podPolicy<Config extends object = ExemptNamespacesConfig>(
  info: PolicyInfo & { check: (pod: PodTemplate, config: Config) => string[] },
): ResourceValidationPolicy {
  return {
    ...common(info),
    validateResource: (args, reportViolation) => {
      const pod = podTemplateOf(args.type, args.props);
      if (!pod) {
        return args.notApplicable(`applies to ${WORKLOAD_TYPE_DESCRIPTION} objects`);
      }
      exempt(args, pod.namespace);
      report(
        guarded(args, () => info.check(pod, args.getConfig<Config>())),
        reportViolation,
      );
    },
  };
}

/** A policy over objects of the given `group:Kind`s, any API version. */
export function objectPolicy<Config extends object = ExemptNamespacesConfig>(
  info: PolicyInfo & {
    kinds: string[];
    check: (object: KubernetesObject, config: Config, kind: string) => string[];
  },
): ResourceValidationPolicy {
  const kinds = new Set(info.kinds);
  return {
    ...common(info),
    validateResource: (args, reportViolation) => {
      const kind = groupKind(args.type);
      if (kind === undefined || !kinds.has(kind)) {
        return args.notApplicable(`applies to ${info.kinds.map((k) => k.split(":")[1]).join(", ")} objects`);
      }
      const object = args.props as KubernetesObject;
      if (!isClusterScoped(kind)) {
        exempt(args, namespaceOf(object));
      }
      report(
        guarded(args, () => info.check(object, args.getConfig<Config>(), kind)),
        reportViolation,
      );
    },
  };
}

/** A policy over any Kubernetes resource (type tokens `kubernetes:…`), for checks on the type itself. */
export function typePolicy<Config extends object = ExemptNamespacesConfig>(
  info: PolicyInfo & { check: (args: ResourceValidationArgs, config: Config) => string[] },
): ResourceValidationPolicy {
  return {
    ...common(info),
    validateResource: (args, reportViolation) => {
      if (!args.type.startsWith("kubernetes:")) {
        return args.notApplicable("applies to Kubernetes resources");
      }
      const kind = groupKind(args.type);
      if (kind === undefined || !isClusterScoped(kind)) {
        exempt(args, namespaceOf(args.props as KubernetesObject));
      }
      report(
        guarded(args, () => info.check(args, args.getConfig<Config>())),
        reportViolation,
      );
    },
  };
}

/** A policy over the whole stack; `check` reports each violation with the URN of the resource it concerns. */
export function stackPolicy<Config extends object = ExemptNamespacesConfig>(
  info: PolicyInfo & { check: (args: StackValidationArgs, config: Config, reportViolation: ReportViolation) => void },
): StackValidationPolicy {
  return {
    ...common(info),
    validateStack: (args, reportViolation) => info.check(args, args.getConfig<Config>(), reportViolation),
  };
}
