// Availability, in environments whose config sets `production: true`: replicated Deployments keep a
// PodDisruptionBudget, and StatefulSets that store data have a backup CronJob.
import type { Policies, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ExemptNamespacesConfig, exemptNamespacesSchema } from "../lib/define";
import { KubernetesObject, LabelSelector, ObjectMeta, selectorMatches } from "../lib/k8s";
import { describeLabels, objectsOfKind, workloadsOf } from "../lib/stack";

const productionSchema: PolicyConfigJSONSchema = {
  type: "boolean",
  default: false,
  description: "Set to true in production environments; the policy checks nothing elsewhere.",
};

interface ProductionConfig extends ExemptNamespacesConfig {
  production?: boolean;
}

function requireProduction(args: StackValidationArgs): void {
  if (!args.getConfig<ProductionConfig>().production) {
    args.notApplicable("not a production environment (set production: true in this policy's config)");
  }
}

interface Scaling {
  minReplicas: number;
  source: string;
}

/** The least number of replicas a Deployment runs: its spec.replicas, or an HPA's minReplicas when one targets it. */
function scalingOf(deployment: { name: string; namespace: string; object: KubernetesObject }, args: StackValidationArgs): Scaling {
  const autoscaler = objectsOfKind(args.resources, "autoscaling:HorizontalPodAutoscaler").find((hpa) => {
    const target = (hpa.object.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    return hpa.namespace === deployment.namespace && target?.kind === "Deployment" && target.name === deployment.name;
  });
  if (autoscaler) {
    const minReplicas = (autoscaler.object.spec as { minReplicas?: number }).minReplicas ?? 1;
    return { minReplicas, source: `is scaled by HorizontalPodAutoscaler "${autoscaler.name}" to at least ${minReplicas} replicas` };
  }
  const replicas = (deployment.object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  return { minReplicas: replicas, source: `runs ${replicas} replicas` };
}

const deploymentDisruptionBudget: StackValidationPolicy = {
  name: "deployment-pod-disruption-budget",
  description: "In production, a Deployment with at least 2 replicas (or an HPA with minReplicas of at least 2) must have a PodDisruptionBudget: add one in its namespace whose selector matches its pod labels.",
  severity: "medium",
  configSchema: { properties: { exemptNamespaces: exemptNamespacesSchema, production: productionSchema } },
  validateStack: (args, reportViolation) => {
    requireProduction(args);
    const budgets = objectsOfKind(args.resources, "policy:PodDisruptionBudget");
    for (const deployment of workloadsOf(args).filter((workload) => workload.pod.groupKind === "apps:Deployment")) {
      const scaling = scalingOf(deployment, args);
      const labels = deployment.pod.metadata.labels ?? {};
      const covered = budgets.some(
        (budget) => budget.namespace === deployment.namespace && selectorMatches((budget.object.spec as { selector?: LabelSelector } | undefined)?.selector, labels),
      );
      if (scaling.minReplicas >= 2 && !covered) {
        reportViolation(
          `Deployment "${deployment.name}" ${scaling.source} but no PodDisruptionBudget selects its pods; add a PodDisruptionBudget in namespace "${deployment.namespace}" with a selector matching ${describeLabels(labels)} and maxUnavailable: 1`,
          deployment.resource.urn,
        );
      }
    }
  },
};

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

const statefulSetBackup: StackValidationPolicy = {
  name: "statefulset-backup",
  description: "In production, a StatefulSet that stores data in volumes must have a backup CronJob: add a CronJob in its namespace annotated (or labelled) with the targetKey (default backup/target) set to the StatefulSet's name, or list a StatefulSet whose data can be rebuilt in exemptStatefulSets.",
  severity: "medium",
  configSchema: {
    properties: {
      exemptNamespaces: exemptNamespacesSchema,
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
  },
  validateStack: (args, reportViolation) => {
    requireProduction(args);
    const { targetKey = "backup/target", exemptStatefulSets = [] } = args.getConfig<BackupConfig>();
    const cronJobs = objectsOfKind(args.resources, "batch:CronJob");
    const statefulSets = workloadsOf(args).filter(
      (workload) => workload.pod.groupKind === "apps:StatefulSet" && !exemptStatefulSets.includes(`${workload.namespace}/${workload.name}`),
    );
    for (const statefulSet of statefulSets) {
      const volumes = (statefulSet.pod.spec.volumes ?? []) as Array<Record<string, unknown>>;
      const backedUp = cronJobs.some((cronJob) => cronJob.namespace === statefulSet.namespace && backupTargets(cronJob.object, targetKey).includes(statefulSet.name));
      if (hasStorage(statefulSet.object, volumes) && !backedUp) {
        reportViolation(
          `StatefulSet "${statefulSet.name}" stores data in volumes but no CronJob in namespace "${statefulSet.namespace}" backs it up; add a backup CronJob annotated ${targetKey}: ${statefulSet.name}`,
          statefulSet.resource.urn,
        );
      }
    }
  },
};

export const availabilityPolicies: Policies = [deploymentDisruptionBudget, statefulSetBackup];
