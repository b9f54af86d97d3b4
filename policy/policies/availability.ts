// Availability: replicas spread across nodes, PodDisruptionBudgets that let a drain proceed, and, in environments
// whose config sets `production: true`, autoscalers that never drop to one pod, budgets for replicated
// Deployments and backups for StatefulSets that store data.
import type { Policies } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ExemptNamespacesConfig, objectPolicy, stackPolicy } from "../lib/define";
import { KubernetesObject, LabelSelector, ObjectMeta, objectsIn, PodSpec, selectorMatches } from "../lib/k8s";
import { autoscalersOf, describeLabels, objectsOfKind, scalingOf, selected, workloadsOf } from "../lib/stack";

const productionSchema: PolicyConfigJSONSchema = {
  type: "boolean",
  default: false,
  description: "Set to true in production environments; the policy checks nothing elsewhere.",
};

interface ProductionConfig extends ExemptNamespacesConfig {
  production?: boolean;
}

const NOT_PRODUCTION = "not a production environment (set production: true in this policy's config)";

function selectorOf(object: KubernetesObject): LabelSelector | undefined {
  return (object.spec as { selector?: LabelSelector } | undefined)?.selector;
}

const deploymentDisruptionBudget = stackPolicy<ProductionConfig>({
  name: "deployment-pod-disruption-budget",
  description: "In production, a Deployment with at least 2 replicas (or an HPA with minReplicas of at least 2) must have a PodDisruptionBudget: add one in its namespace whose selector matches its pod labels.",
  severity: "medium",
  counterparts: { polaris: ["missingPodDisruptionBudget"], kubeScore: ["deployment-has-poddisruptionbudget"] },
  config: { production: productionSchema },
  check: (args, { production }, reportViolation) => {
    if (!production) {
      return args.notApplicable(NOT_PRODUCTION);
    }
    const budgets = objectsOfKind(args.resources, "policy:PodDisruptionBudget");
    const autoscalers = autoscalersOf(args.resources);
    for (const deployment of workloadsOf(args).filter((workload) => workload.pod.groupKind === "apps:Deployment")) {
      const scaling = scalingOf(deployment, autoscalers);
      const labels = deployment.pod.metadata.labels ?? {};
      const covered = budgets.some((budget) => budget.namespace === deployment.namespace && selectorMatches(selectorOf(budget.object), labels));
      if (scaling.min >= 2 && !covered) {
        reportViolation(
          `Deployment "${deployment.name}" ${scaling.source} but no PodDisruptionBudget selects its pods; add a PodDisruptionBudget in namespace "${deployment.namespace}" with a selector matching ${describeLabels(labels)} and maxUnavailable: 1`,
          deployment.resource.urn,
        );
      }
    }
  },
});

const SPREAD_KEYS = ["kubernetes.io/hostname", "topology.kubernetes.io/zone"];

/** True when a spread constraint or an anti-affinity term keeps the pod's own replicas apart by node or zone. */
function spreadsReplicas(spec: PodSpec, labels: Record<string, string>): boolean {
  const selects = (term: { topologyKey?: string; labelSelector?: LabelSelector; matchLabelKeys?: string[] }) =>
    SPREAD_KEYS.includes(term.topologyKey ?? "") && (selectorMatches(term.labelSelector, labels) || (term.matchLabelKeys ?? []).length > 0);
  const antiAffinity = spec.affinity?.podAntiAffinity ?? {};
  const terms = [
    ...objectsIn(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution as Array<{ topologyKey?: string; labelSelector?: LabelSelector }>),
    ...objectsIn(antiAffinity.preferredDuringSchedulingIgnoredDuringExecution as Array<{ podAffinityTerm?: { topologyKey?: string; labelSelector?: LabelSelector } }>).map(
      (weighted) => weighted.podAffinityTerm ?? {},
    ),
  ];
  return objectsIn(spec.topologySpreadConstraints).some(selects) || terms.some(selects);
}

const replicaSpread = stackPolicy({
  name: "replica-spread",
  description: "A workload that runs more than one replica (or an HPA that can scale it past one) must spread them over nodes or zones, so one node failure cannot take them all: add topologySpreadConstraints (or a podAntiAffinity term) on kubernetes.io/hostname or topology.kubernetes.io/zone whose labelSelector matches its pod labels.",
  severity: "medium",
  counterparts: {
    polaris: ["topologySpreadConstraint"],
    kubeLinter: ["no-anti-affinity"],
    kubeScore: ["deployment-has-host-podantiaffinity", "statefulset-has-host-podantiaffinity", "pod-topology-spread-constraints"],
  },
  check: (args, _config, reportViolation) => {
    const autoscalers = autoscalersOf(args.resources);
    for (const workload of workloadsOf(args).filter((candidate) => ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"].includes(candidate.pod.kind))) {
      const scaling = scalingOf(workload, autoscalers);
      const labels = workload.pod.metadata.labels ?? {};
      if (scaling.max > 1 && !spreadsReplicas(workload.pod.spec, labels)) {
        reportViolation(
          `${workload.pod.kind} "${workload.name}" ${scaling.source} but nothing spreads them; add a topologySpreadConstraint on kubernetes.io/hostname (or topology.kubernetes.io/zone) with a labelSelector matching ${describeLabels(labels)}`,
          workload.resource.urn,
        );
      }
    }
  },
});

interface MinReplicasConfig extends ProductionConfig {
  minReplicas?: number;
}

const autoscalerMinReplicas = objectPolicy<MinReplicasConfig>({
  name: "hpa-min-replicas",
  description: "In production, a HorizontalPodAutoscaler must keep at least minReplicas pods (default 2), so a single pod's restart or eviction never leaves the workload without a ready one: raise spec.minReplicas.",
  severity: "medium",
  counterparts: { polaris: ["hpaMinAvailability"], kubeLinter: ["hpa-minimum-three-replicas"], kubeScore: ["horizontalpodautoscaler-replicas"] },
  kinds: ["autoscaling:HorizontalPodAutoscaler"],
  config: {
    production: productionSchema,
    minReplicas: { type: "integer", minimum: 1, default: 2, description: "Fewest replicas an autoscaler may scale to." },
  },
  check: (hpa, { production, minReplicas = 2 }) => {
    const min = (hpa.spec as { minReplicas?: number } | undefined)?.minReplicas;
    return production && (min ?? 1) < minReplicas
      ? [`HorizontalPodAutoscaler ${min === undefined ? "does not set spec.minReplicas (default 1)" : `sets spec.minReplicas=${min}`}; set it to at least ${minReplicas}`]
      : [];
  },
});

interface BudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

const disruptionBudgetAllowsEviction = stackPolicy({
  name: "pdb-allows-disruption",
  description: "A PodDisruptionBudget must let a node drain evict at least one pod: do not set maxUnavailable to 0 or 0%, nor minAvailable to 100% or to the replicas (or the HPA minReplicas) of the workload it selects; use maxUnavailable: 1.",
  severity: "medium",
  counterparts: { polaris: ["pdbDisruptionsIsZero", "pdbMinAvailableGreaterThanHPAMinReplicas"], kubeLinter: ["pdb-max-unavailable", "pdb-min-available"] },
  check: (args, _config, reportViolation) => {
    const workloads = workloadsOf(args);
    const autoscalers = autoscalersOf(args.resources);
    for (const budget of objectsOfKind(args.resources, "policy:PodDisruptionBudget")) {
      const spec = (budget.object.spec ?? {}) as BudgetSpec;
      const problems: string[] = [];
      if (spec.maxUnavailable === 0 || spec.maxUnavailable === "0%") {
        problems.push(`sets maxUnavailable=${spec.maxUnavailable}, so no pod may ever be evicted`);
      } else if (spec.minAvailable === "100%") {
        problems.push("sets minAvailable=100%, so no pod may ever be evicted");
      } else if (typeof spec.minAvailable === "number") {
        // The budget counts every pod it selects, so the workloads' replicas add up.
        const covered = selected(workloads, budget.namespace, selectorOf(budget.object)).map((workload) => ({ workload, scaling: scalingOf(workload, autoscalers) }));
        const fewest = covered.reduce((sum, { scaling }) => sum + scaling.min, 0);
        if (covered.length > 0 && spec.minAvailable >= fewest) {
          const how = covered.map(({ workload, scaling }) => `${workload.pod.kind} "${workload.name}" ${scaling.source}`).join(", ");
          problems.push(`sets minAvailable=${spec.minAvailable} but selects at least ${fewest} pod${fewest === 1 ? "" : "s"} (${how}), so then none may be evicted`);
        }
      }
      for (const problem of problems) {
        reportViolation(`PodDisruptionBudget "${budget.name}" ${problem}; use maxUnavailable: 1 (or a minAvailable below the replicas)`, budget.resource.urn);
      }
    }
  },
});

interface BackupConfig extends ProductionConfig {
  targetKey?: string;
  exemptStatefulSets?: string[];
}

function hasStorage(object: KubernetesObject, volumes: Array<Record<string, unknown>>): boolean {
  const claims = (object.spec as { volumeClaimTemplates?: unknown[] } | undefined)?.volumeClaimTemplates ?? [];
  return claims.length > 0 || volumes.some((volume) => volume.persistentVolumeClaim !== undefined);
}

/** Every metadata of a CronJob where a backup target may be declared: its own, its Job template's, its pod template's. */
function cronJobMetadata(cronJob: KubernetesObject): ObjectMeta[] {
  const jobTemplate = (cronJob.spec as { jobTemplate?: { metadata?: ObjectMeta; spec?: { template?: { metadata?: ObjectMeta } } } } | undefined)?.jobTemplate;
  return [cronJob.metadata, jobTemplate?.metadata, jobTemplate?.spec?.template?.metadata].filter((meta): meta is ObjectMeta => meta !== undefined);
}

function backupTargets(cronJob: KubernetesObject, key: string): string[] {
  return cronJobMetadata(cronJob)
    .flatMap((meta) => [meta.annotations?.[key], meta.labels?.[key]])
    .filter((value): value is string => typeof value === "string")
    .flatMap((value) => value.split(",").map((target) => target.trim()));
}

const statefulSetBackup = stackPolicy<BackupConfig>({
  name: "statefulset-backup",
  description: "In production, a StatefulSet that stores data in volumes must have a backup CronJob: add a CronJob in its namespace annotated (or labelled) with the targetKey (default backup/target) set to the StatefulSet's name, or list a StatefulSet whose data can be rebuilt in exemptStatefulSets.",
  severity: "medium",
  counterparts: {},
  config: {
    production: productionSchema,
    targetKey: {
      type: "string",
      minLength: 1,
      default: "backup/target",
      description: "Annotation or label key by which a backup CronJob names the StatefulSets it backs up (comma-separated).",
    },
    exemptStatefulSets: {
      type: "array",
      items: { type: "string", pattern: "^[^/]+/[^/]+$" },
      uniqueItems: true,
      default: [],
      description: "StatefulSets (namespace/name) whose data can be rebuilt and needs no backup, e.g. a cache or metrics store.",
    },
  },
  check: (args, { production, targetKey = "backup/target", exemptStatefulSets = [] }, reportViolation) => {
    if (!production) {
      return args.notApplicable(NOT_PRODUCTION);
    }
    const cronJobs = objectsOfKind(args.resources, "batch:CronJob");
    const statefulSets = workloadsOf(args).filter(
      (workload) => workload.pod.groupKind === "apps:StatefulSet" && !exemptStatefulSets.includes(`${workload.namespace}/${workload.name}`),
    );
    for (const statefulSet of statefulSets) {
      const volumes = objectsIn(statefulSet.pod.spec.volumes) as Array<Record<string, unknown>>;
      const backedUp = cronJobs.some((cronJob) => cronJob.namespace === statefulSet.namespace && backupTargets(cronJob.object, targetKey).includes(statefulSet.name));
      if (hasStorage(statefulSet.object, volumes) && !backedUp) {
        reportViolation(
          `StatefulSet "${statefulSet.name}" stores data in volumes but no CronJob in namespace "${statefulSet.namespace}" backs it up; add a backup CronJob annotated ${targetKey}: ${statefulSet.name}`,
          statefulSet.resource.urn,
        );
      }
    }
  },
});

export const availabilityPolicies: Policies = [
  deploymentDisruptionBudget,
  replicaSpread,
  autoscalerMinReplicas,
  disruptionBudgetAllowsEviction,
  statefulSetBackup,
];
