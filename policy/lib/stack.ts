// Views over a stack's resources for the stack policies.
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import type { ExemptNamespacesConfig } from "./define";
import { groupKind, KubernetesObject, namespaceOf, PodTemplate, podTemplateOf } from "./k8s";

export interface StackObject {
  resource: PolicyResource;
  object: KubernetesObject;
  /** `metadata.name`, or the Pulumi resource name when the object is auto-named. */
  name: string;
  namespace: string;
}

export interface Workload extends StackObject {
  pod: PodTemplate;
}

function stackObject(resource: PolicyResource): StackObject {
  const object = resource.props as KubernetesObject;
  return { resource, object, name: object.metadata?.name ?? resource.name, namespace: namespaceOf(object) };
}

export function objectsOfKind(resources: PolicyResource[], ...kinds: string[]): StackObject[] {
  return resources.filter((resource) => kinds.includes(groupKind(resource.type) ?? "")).map(stackObject);
}

/** Every object holding a pod, outside the namespaces the policy's config exempts. */
export function workloadsOf(args: StackValidationArgs): Workload[] {
  const { exemptNamespaces = [] } = args.getConfig<ExemptNamespacesConfig>();
  return args.resources.flatMap((resource) => {
    const pod = podTemplateOf(resource.type, resource.props);
    return pod && !exemptNamespaces.includes(pod.namespace) ? [{ ...stackObject(resource), pod }] : [];
  });
}

export function describeLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? "{}" : entries.map(([key, value]) => `${key}=${value}`).join(", ");
}
