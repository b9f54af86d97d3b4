// References that lead nowhere: a Service, HPA or PodDisruptionBudget that matches no workload, and a workload that
// names a ServiceAccount, ConfigMap, Secret or PersistentVolumeClaim no resource of the stack defines.
import type { Policies, PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { ExemptNamespacesConfig, stackPolicy } from "../lib/define";
import { allContainers, isEmptySelector, LabelSelector, objectsIn, PodSpec } from "../lib/k8s";
import { describeLabels, objectsOfKind, selected, StackObject, Workload, workloadsOf } from "../lib/stack";

type Fields = Record<string, unknown>;
type ReferencedKind = "ServiceAccount" | "ConfigMap" | "Secret" | "PersistentVolumeClaim";

interface Reference {
  kind: ReferencedKind;
  name: string;
  /** Where the pod spec names it, e.g. `volumes[config].configMap`. */
  field: string;
}

/** Objects every namespace has without anyone creating them. */
const IMPLICIT_OBJECTS = new Set(["ServiceAccount/default", "ConfigMap/kube-root-ca.crt"]);

/** Objects that operators create from a custom resource: kind, the resource, and the names it creates. */
const GENERATED_OBJECTS: Array<{ from: string; kind: ReferencedKind; names: (object: Fields) => string[] }> = [
  // cert-manager stores the issued certificate in the Secret its Certificate names.
  { from: "cert-manager.io:Certificate", kind: "Secret", names: (object) => [String((object.spec as Fields | undefined)?.secretName ?? "")] },
  // CloudNativePG creates the application, superuser, CA, server and replication Secrets of a Cluster.
  {
    from: "postgresql.cnpg.io:Cluster",
    kind: "Secret",
    names: (object) => ["app", "superuser", "ca", "server", "replication"].map((suffix) => `${(object.metadata as Fields | undefined)?.name}-${suffix}`),
  },
];

function optional(source: unknown): boolean {
  return (source as { optional?: boolean } | undefined)?.optional === true;
}

function named(kind: ReferencedKind, name: unknown, field: string, source?: unknown): Reference[] {
  return typeof name === "string" && name !== "" && !optional(source) ? [{ kind, name, field }] : [];
}

/** Every object a pod spec names by ServiceAccount, volume, projection, envFrom, env and imagePullSecrets. */
function referencesOf(spec: PodSpec): Reference[] {
  const refs = named("ServiceAccount", spec.serviceAccountName || spec.serviceAccount, "serviceAccountName");
  for (const volume of objectsIn(spec.volumes) as Fields[]) {
    const at = `volumes[${volume.name}]`;
    const configMap = volume.configMap as Fields | undefined;
    const secret = volume.secret as Fields | undefined;
    const claim = volume.persistentVolumeClaim as Fields | undefined;
    refs.push(...named("ConfigMap", configMap?.name, `${at}.configMap`, configMap));
    refs.push(...named("Secret", secret?.secretName, `${at}.secret`, secret));
    refs.push(...named("PersistentVolumeClaim", claim?.claimName, `${at}.persistentVolumeClaim`));
    for (const projection of objectsIn((volume.projected as { sources?: Fields[] } | undefined)?.sources)) {
      refs.push(...named("ConfigMap", (projection.configMap as Fields | undefined)?.name, `${at}.projected`, projection.configMap));
      refs.push(...named("Secret", (projection.secret as Fields | undefined)?.name, `${at}.projected`, projection.secret));
    }
  }
  for (const { container, label } of allContainers(spec)) {
    for (const source of objectsIn((container as Fields).envFrom as Fields[])) {
      refs.push(...named("ConfigMap", (source.configMapRef as Fields | undefined)?.name, `${label} envFrom`, source.configMapRef));
      refs.push(...named("Secret", (source.secretRef as Fields | undefined)?.name, `${label} envFrom`, source.secretRef));
    }
    for (const variable of objectsIn(container.env)) {
      const from = (variable.valueFrom ?? {}) as Fields;
      refs.push(...named("ConfigMap", (from.configMapKeyRef as Fields | undefined)?.name, `${label} env ${variable.name}`, from.configMapKeyRef));
      refs.push(...named("Secret", (from.secretKeyRef as Fields | undefined)?.name, `${label} env ${variable.name}`, from.secretKeyRef));
    }
  }
  for (const pullSecret of objectsIn(spec.imagePullSecrets)) {
    refs.push(...named("Secret", pullSecret.name, "imagePullSecrets"));
  }
  return refs;
}

/** `Kind/namespace/name` of every object the stack defines or has operators create. */
function definedObjects(resources: PolicyResource[]): Set<string> {
  const defined = new Set<string>();
  for (const kind of ["ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim"] as const) {
    for (const object of objectsOfKind(resources, `core:${kind}`)) {
      defined.add(`${kind}/${object.namespace}/${object.name}`);
    }
  }
  for (const { from, kind, names } of GENERATED_OBJECTS) {
    for (const object of objectsOfKind(resources, from)) {
      names(object.object as Fields).forEach((name) => defined.add(`${kind}/${object.namespace}/${name}`));
    }
  }
  return defined;
}

interface ExternalConfig extends ExemptNamespacesConfig {
  externalObjects?: string[];
}

const workloadReferencesExist = stackPolicy<ExternalConfig>({
  name: "workload-references-exist",
  description: "Every ServiceAccount, ConfigMap, Secret and PersistentVolumeClaim a pod names must be defined in the stack (or created by cert-manager or CloudNativePG from one of its resources): define it, mark an optional reference optional: true, or list an object created outside the program in externalObjects.",
  severity: "high",
  counterparts: { kubeLinter: ["non-existent-service-account"] },
  config: {
    externalObjects: {
      type: "array",
      items: { type: "string", pattern: "^(ServiceAccount|ConfigMap|Secret|PersistentVolumeClaim)/[^/]+/[^/]+$" },
      uniqueItems: true,
      default: [],
      description: "Objects (Kind/namespace/name) that exist in the cluster but outside the program, e.g. a registry pull Secret the platform copies in.",
    },
  },
  check: (args, { externalObjects = [] }, reportViolation) => {
    const defined = definedObjects(args.resources);
    for (const { pod, name, namespace, resource } of workloadsOf(args)) {
      for (const reference of referencesOf(pod.spec)) {
        const key = `${reference.kind}/${namespace}/${reference.name}`;
        if (!defined.has(key) && !externalObjects.includes(key) && !IMPLICIT_OBJECTS.has(`${reference.kind}/${reference.name}`)) {
          reportViolation(
            `${pod.kind} "${name}" names ${reference.kind} "${reference.name}" (${reference.field}), which no resource in namespace "${namespace}" defines; define it, or list "${key}" in externalObjects if it is created outside the program`,
            resource.urn,
          );
        }
      }
    }
  },
});

function reportUnselecting(args: StackValidationArgs, objects: StackObject[], what: string, selectorOf: (object: StackObject) => LabelSelector | undefined, report: (message: string, urn: string) => void): void {
  const workloads = workloadsOf(args);
  for (const object of objects) {
    const selector = selectorOf(object);
    if (selector !== undefined && selected(workloads, object.namespace, selector).length === 0) {
      report(
        `${what} "${object.name}" selects ${isEmptySelector(selector) ? "every pod" : describeLabels(selector.matchLabels)} in namespace "${object.namespace}" but no workload there has such pods; fix the selector or the pod labels`,
        object.resource.urn,
      );
    }
  }
}

const serviceSelectsPods = stackPolicy({
  name: "service-selects-pods",
  description: "A Service with a selector must select the pods of a workload in its namespace, or it has no endpoints: make spec.selector match the workload's pod template labels.",
  severity: "medium",
  counterparts: { kubeLinter: ["dangling-service"], kubeScore: ["service-targets-pod"] },
  check: (args, _config, reportViolation) =>
    reportUnselecting(args, objectsOfKind(args.resources, "core:Service"), "Service", (service) => {
      const spec = (service.object.spec ?? {}) as { type?: string; selector?: Record<string, string> };
      // Without a selector the endpoints are managed by hand; an ExternalName Service has none.
      return spec.type === "ExternalName" || spec.selector === undefined || Object.keys(spec.selector).length === 0 ? undefined : { matchLabels: spec.selector };
    }, reportViolation),
});

const disruptionBudgetSelectsPods = stackPolicy({
  name: "pdb-selects-pods",
  description: "A PodDisruptionBudget must select the pods of a workload in its namespace, or it protects nothing: make spec.selector match the workload's pod template labels.",
  severity: "medium",
  counterparts: {},
  check: (args, _config, reportViolation) =>
    reportUnselecting(args, objectsOfKind(args.resources, "policy:PodDisruptionBudget"), "PodDisruptionBudget", (budget) => (budget.object.spec as { selector?: LabelSelector } | undefined)?.selector ?? {}, reportViolation),
});

const autoscalerTargetExists = stackPolicy({
  name: "autoscaler-target-exists",
  description: "A HorizontalPodAutoscaler must target a workload the stack defines in its namespace: make spec.scaleTargetRef's kind and name those of the Deployment or StatefulSet it scales.",
  severity: "medium",
  counterparts: { kubeLinter: ["dangling-horizontalpodautoscaler"], kubeScore: ["horizontalpodautoscaler-has-target"] },
  check: (args, _config, reportViolation) => {
    const workloads: Workload[] = workloadsOf(args);
    for (const hpa of objectsOfKind(args.resources, "autoscaling:HorizontalPodAutoscaler")) {
      const target = ((hpa.object.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef ?? {});
      const found = workloads.some((workload) => workload.namespace === hpa.namespace && workload.pod.kind === target.kind && workload.name === target.name);
      if (!found) {
        reportViolation(
          `HorizontalPodAutoscaler "${hpa.name}" scales ${target.kind} "${target.name}", which the stack does not define in namespace "${hpa.namespace}"; fix spec.scaleTargetRef`,
          hpa.resource.urn,
        );
      }
    }
  },
});

export const referencePolicies: Policies = [workloadReferencesExist, serviceSelectsPods, disruptionBudgetSelectsPods, autoscalerTargetExists];
