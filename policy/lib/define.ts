// Builders for the pack's resource policies: they find the object's kind from its type token, apply the
// namespace exemption from config, and report one violation per message the check returns.
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy, Severity } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { groupKind, isClusterScoped, KubernetesObject, namespaceOf, PodTemplate, podTemplateOf, WORKLOAD_TYPE_DESCRIPTION } from "./k8s";

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

interface PolicyInfo {
  name: string;
  description: string;
  severity: Severity;
  /** Config properties besides `exemptNamespaces`, which every policy built here accepts. */
  config?: PolicyConfigSchema["properties"];
}

function schemaWith(properties: PolicyConfigSchema["properties"] | undefined): PolicyConfigSchema {
  return { properties: { exemptNamespaces: exemptNamespacesSchema, ...properties } };
}

function exempt(args: ResourceValidationArgs, namespace: string): void {
  const { exemptNamespaces = [] } = args.getConfig<ExemptNamespacesConfig>();
  if (exemptNamespaces.includes(namespace)) {
    args.notApplicable(`namespace "${namespace}" is exempt`);
  }
}

/** A policy over every object that holds a pod (see `podTemplateOf`). */
export function podPolicy<Config extends object = ExemptNamespacesConfig>(
  info: PolicyInfo & { check: (pod: PodTemplate, config: Config) => string[] },
): ResourceValidationPolicy {
  return {
    name: info.name,
    description: info.description,
    severity: info.severity,
    configSchema: schemaWith(info.config),
    validateResource: (args, reportViolation) => {
      const pod = podTemplateOf(args.type, args.props);
      if (!pod) {
        return args.notApplicable(`applies to ${WORKLOAD_TYPE_DESCRIPTION} objects`);
      }
      exempt(args, pod.namespace);
      for (const message of info.check(pod, args.getConfig<Config>())) {
        reportViolation(message);
      }
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
    name: info.name,
    description: info.description,
    severity: info.severity,
    configSchema: schemaWith(info.config),
    validateResource: (args, reportViolation) => {
      const kind = groupKind(args.type);
      if (kind === undefined || !kinds.has(kind)) {
        return args.notApplicable(`applies to ${info.kinds.map((k) => k.split(":")[1]).join(", ")} objects`);
      }
      const object = args.props as KubernetesObject;
      if (!isClusterScoped(kind)) {
        exempt(args, namespaceOf(object));
      }
      for (const message of info.check(object, args.getConfig<Config>(), kind)) {
        reportViolation(message);
      }
    },
  };
}
