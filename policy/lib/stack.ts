// Views over a stack's resources for the stack policies. Objects whose fields have the wrong types are left out:
// kubernetes-schema reports them, and the stack policies read only well-formed objects.
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import type { ExemptNamespacesConfig } from "./define";
import { groupKind, KubernetesObject, LabelSelector, namespaceOf, PodTemplate, podTemplateOf, selectorMatches } from "./k8s";
import { schemaProblems } from "./schema";

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

function wellFormed(resource: PolicyResource): boolean {
  return (schemaProblems(resource.type, resource.props) ?? []).length === 0;
}

export function objectsOfKind(resources: PolicyResource[], ...kinds: string[]): StackObject[] {
  return resources.filter((resource) => kinds.includes(groupKind(resource.type) ?? "") && wellFormed(resource)).map(stackObject);
}

/** Every object holding a pod, outside the namespaces the policy's config exempts. */
export function workloadsOf(args: StackValidationArgs): Workload[] {
  const { exemptNamespaces = [] } = args.getConfig<ExemptNamespacesConfig>();
  return args.resources.flatMap((resource) => {
    const pod = podTemplateOf(resource.type, resource.props);
    return pod && !exemptNamespaces.includes(pod.namespace) && wellFormed(resource) ? [{ ...stackObject(resource), pod }] : [];
  });
}

/** The workloads in `namespace` whose pods a selector picks. */
export function selected(workloads: Workload[], namespace: string, selector: LabelSelector | undefined): Workload[] {
  return workloads.filter((workload) => workload.namespace === namespace && selectorMatches(selector, workload.pod.metadata.labels ?? {}));
}

export function describeLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? "{}" : entries.map(([key, value]) => `${key}=${value}`).join(", ");
}

export interface Scaling {
  /** Fewest replicas the workload runs: an HPA's minReplicas, else spec.replicas (default 1). */
  min: number;
  /** Most replicas it runs: an HPA's maxReplicas, else spec.replicas. */
  max: number;
  /** How it is scaled, for messages: `runs 3 replicas`, `is scaled by HorizontalPodAutoscaler "api" to 2-10 replicas`. */
  source: string;
  autoscaler?: StackObject;
}

const SCALABLE_KINDS = ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"];

/** The HorizontalPodAutoscalers of a stack, with what they target. */
export function autoscalersOf(resources: PolicyResource[]): Array<StackObject & { target: { kind?: string; name?: string } }> {
  return objectsOfKind(resources, "autoscaling:HorizontalPodAutoscaler").map((hpa) => ({
    ...hpa,
    target: ((hpa.object.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef ?? {}),
  }));
}

/** How many replicas a workload runs, taking an HPA that targets it into account. */
export function scalingOf(workload: StackObject & { pod: PodTemplate }, autoscalers: ReturnType<typeof autoscalersOf>): Scaling {
  const autoscaler = SCALABLE_KINDS.includes(workload.pod.kind)
    ? autoscalers.find((hpa) => hpa.namespace === workload.namespace && hpa.target.kind === workload.pod.kind && hpa.target.name === workload.name)
    : undefined;
  if (autoscaler) {
    const spec = (autoscaler.object.spec ?? {}) as { minReplicas?: number; maxReplicas?: number };
    const min = spec.minReplicas ?? 1;
    const max = spec.maxReplicas ?? min;
    return { min, max, autoscaler, source: `is scaled by HorizontalPodAutoscaler "${autoscaler.name}" to ${min}-${max} replicas` };
  }
  const replicas = (workload.object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  return { min: replicas, max: replicas, source: `runs ${replicas} replica${replicas === 1 ? "" : "s"}` };
}
