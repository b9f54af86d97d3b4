/**
 * The rules `npm run plan` applies to decide between update, replace and delete-before-replace: the provider's own,
 * transcribed from its source, in one table each. Nothing here is a guess about what "should" be immutable; a rule
 * that is not in the source is not in this file.
 *
 * Sources (pulumi/pulumi-kubernetes v4, the version package.json pins):
 * - provider/pkg/provider/diff.go (commit cafe8c4ac4de156415093291bffc63b6e1c97d1e): `forceNew`, the fields whose
 *   change makes `Diff` answer "replace", per group/version/kind, plus `.metadata.name` and `.metadata.namespace`
 *   for every kind; ConfigMap and Secret data force a replacement unless the provider enables mutable ones.
 * - provider/pkg/provider/provider.go, `Diff`: a replacement is delete-before-replace when the new object is named
 *   explicitly (not auto-named), keeps its name and stays in its namespace; `DiffConfig`: the provider itself is
 *   replaced when its kubeconfig, context or cluster changes, unless `clusterIdentifier` is set and unchanged.
 * - pulumi/pulumi pkg/resource/deploy/step_generator.go, `calculateDependentReplacements`: a resource deleted before
 *   its replacement marks the inputs of its dependants that were built from its outputs unknown; a dependant whose
 *   diff then forces a replacement is replaced (and deleted first) too.
 * - pulumi/terraform-provider-random: every argument of a random resource (`length`, `special`, `keepers`…) is
 *   ForceNew, so any change generates a new value.
 */

/** `kind` → force-new field paths, as diff.go lists them (`[*]` is any list element). */
type KindRules = Readonly<Record<string, readonly string[]>>;

const labelSelector = (prefix: string) => [
  prefix,
  `${prefix}.matchExpressions`,
  `${prefix}.matchExpressions.key`,
  `${prefix}.matchExpressions.operator`,
  `${prefix}.matchExpressions.values`,
  `${prefix}.matchLabels`,
];

const container = (prefix: string) =>
  [
    "args", "command", "env", "env.value", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
    "readinessProbe", "resources", "securityContext", "stdin", "stdinOnce", "terminationMessagePath",
    "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir",
  ].map((field) => `${prefix}.${field}`);

/** A workload's selector picks its pods; the API server rejects a change, so the provider replaces instead. */
const selectorOnly = labelSelector(".spec.selector");

/** A Job's pod template and completions are immutable once it has run. */
const job = [".spec.completions", ".spec.parallelism", ".spec.template", ...selectorOnly];

/** A StatefulSet's identity, its claims' templates and its pod ordering cannot change in place. */
const statefulSet = [
  ".spec.podManagementPolicy",
  ".spec.revisionHistoryLimit",
  ".spec.serviceName",
  ".spec.volumeClaimTemplates",
  ...selectorOnly,
];

const roleBinding = [".roleRef"];

const core: KindRules = {
  PersistentVolume: [
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
    "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume",
    "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
  ].map((source) => `.spec.${source}`),
  // Requests are left out on purpose upstream: growing a claim is an in-place update the storage class may allow.
  PersistentVolumeClaim: [".spec.accessModes", ".spec.storageClassName", ".spec.volumeName", ...labelSelector(".spec.selector")],
  Pod: [
    ...[
      "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC",
      "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName", "nodeSelector", "overhead",
      "preemptionPolicy", "priority", "priorityClassName", "readinessGates", "restartPolicy", "runtimeClassName",
      "schedulerName", "securityContext", "serviceAccount", "serviceAccountName", "shareProcessNamespace", "subdomain",
      "terminationGracePeriodSeconds", "volumes",
    ].map((field) => `.spec.${field}`),
    ...container(".spec.containers[*]"),
    ...container(".spec.initContainers[*]"),
  ],
  ResourceQuota: [".spec.scopes"],
  Secret: [".type"],
  Service: [".spec.clusterIP"],
};

/** group → version → kind → force-new paths. The core group is listed under "core" as the type token spells it. */
export const FORCE_NEW: Readonly<Record<string, Readonly<Record<string, KindRules>>>> = {
  apps: {
    v1beta1: { StatefulSet: statefulSet },
    v1beta2: { DaemonSet: selectorOnly, Deployment: selectorOnly, StatefulSet: statefulSet },
    v1: { DaemonSet: selectorOnly, Deployment: selectorOnly, StatefulSet: statefulSet },
  },
  core: { v1: core },
  policy: { v1beta1: { PodDisruptionBudget: [".spec"] } },
  "rbac.authorization.k8s.io": {
    v1alpha1: { ClusterRoleBinding: roleBinding, RoleBinding: roleBinding },
    v1beta1: { ClusterRoleBinding: roleBinding, RoleBinding: roleBinding },
    v1: { ClusterRoleBinding: roleBinding, RoleBinding: roleBinding },
  },
  "storage.k8s.io": { v1: { StorageClass: [".parameters", ".provisioner"] } },
  batch: { v1beta1: { Job: job }, v1: { Job: job }, v2alpha1: { Job: job } },
};

/** Changing an object's identity always replaces it. */
const METADATA_FORCE_NEW = [".metadata.name", ".metadata.namespace"];

/** Secret and ConfigMap content is immutable to the provider unless its `enableSecretMutable`/`enableConfigMapMutable` is on. */
const SECRET_DATA = [".type", ".stringData", ".data"];
const CONFIG_MAP_DATA = [".binaryData", ".data"];

/** The Kubernetes provider's options that change the rules above (its own inputs in the render). */
export interface ProviderOptions {
  enableConfigMapMutable: boolean;
  enableSecretMutable: boolean;
}

export interface KubernetesType {
  group: string;
  version: string;
  kind: string;
}

/** `kubernetes:apps/v1:StatefulSet` → apps, v1, StatefulSet; undefined for other packages and for providers. */
export function kubernetesType(type: string): KubernetesType | undefined {
  const match = /^kubernetes:([^/:]+)\/([^:]+):(.+)$/.exec(type);
  return match === null ? undefined : { group: match[1], version: match[2], kind: match[3] };
}

/** Patch resources (`ConfigMapPatch`…) update in place for everything but their identity. */
function isPatch(kind: string): boolean {
  return kind.endsWith("Patch");
}

/** The provider's `forceNewProperties` for one object: identity first, then its kind's fields. */
export function forceNewFields(type: string, inputs: Record<string, unknown>, options: ProviderOptions): string[] {
  const k8s = kubernetesType(type);
  if (k8s === undefined) {
    return isRandom(type) ? ["."] : [];
  }
  if (isPatch(k8s.kind)) return METADATA_FORCE_NEW;
  const kinds = FORCE_NEW[k8s.group]?.[k8s.version];
  if (kinds === undefined) return METADATA_FORCE_NEW;
  const immutable = inputs.immutable === true;
  if (k8s.group === "core" && k8s.kind === "Secret" && (!options.enableSecretMutable || immutable)) {
    return [...METADATA_FORCE_NEW, ...SECRET_DATA];
  }
  if (kinds[k8s.kind] !== undefined) return [...METADATA_FORCE_NEW, ...kinds[k8s.kind]];
  if (k8s.group === "core" && k8s.kind === "ConfigMap" && (!options.enableConfigMapMutable || immutable)) {
    return [...METADATA_FORCE_NEW, ...CONFIG_MAP_DATA];
  }
  return METADATA_FORCE_NEW;
}

/** @pulumi/random: every argument is ForceNew upstream. */
export function isRandom(type: string): boolean {
  return type.startsWith("random:");
}

export const KUBERNETES_PROVIDER = "pulumi:providers:kubernetes";

/** DiffConfig: the inputs whose change points the provider at another cluster, so everything under it is replaced. */
export const PROVIDER_CLUSTER_INPUTS = ["kubeconfig", "context", "cluster"] as const;
export const CLUSTER_IDENTIFIER = "clusterIdentifier";

/**
 * Provider.go's delete-before-replace condition: the object carries a name of its own (not auto-named), and the
 * replacement keeps that name in the same namespace, so the old one must go before the new one can be created.
 */
export function deletesBeforeReplace(type: string, before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  if (kubernetesType(type) === undefined) return false;
  const name = (inputs: Record<string, unknown>) => (inputs.metadata as Record<string, unknown> | undefined)?.name;
  const namespace = (inputs: Record<string, unknown>) => (inputs.metadata as Record<string, unknown> | undefined)?.namespace;
  return typeof name(after) === "string" && name(after) === name(before) && namespace(after) === namespace(before);
}

/**
 * provider.go, `Diff`: a Job annotated so is replaced on the next update whenever its live run has not succeeded
 * (failed, or still running), whatever its inputs. The live status is beyond an offline plan, so it says so.
 */
export const REPLACE_UNREADY_ANNOTATION = "pulumi.com/replaceUnready";

/**
 * Kinds whose replacement or deletion loses data or serving capacity: the gate (`--fail-on-destructive`) and the
 * day-2 scenarios refuse them. A Job counts because the one in the state has run: replacing it runs it again.
 */
export const DESTRUCTIVE_KINDS: readonly string[] = ["Namespace", "StatefulSet", "PersistentVolumeClaim", "Deployment", "Service", "Job"];

/**
 * Database operators' kinds: every CloudNativePG object (clusters, backups, poolers) holds or guards data, and so
 * does the Barman Cloud plugin's ObjectStore (deleting it stops WAL archiving and hides the backups from the operator).
 */
export const DATABASE_GROUPS: readonly string[] = ["postgresql.cnpg.io", "barmancloud.cnpg.io"];

export function isDestructiveKind(type: string): boolean {
  const k8s = kubernetesType(type);
  return k8s !== undefined && (DESTRUCTIVE_KINDS.includes(k8s.kind) || DATABASE_GROUPS.includes(k8s.group));
}

/**
 * True when a change at `path` (`.spec.template.spec.containers[*].image`) falls under the force-new field `field`:
 * the field itself, inside it, or a parent of it replaced as a whole (an object that appears, goes or is unknown).
 */
export function forcesReplacement(path: string, field: string): boolean {
  return field === "." || isWithin(path, field) || isWithin(field, path);
}

/** `inner` is `outer` or a path inside it. */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}
