/**
 * Building blocks every pod shares, so the restricted Pod Security profile, the probes and the volumes are written
 * once: a workload that needs an exception has to say so where it is built.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { Resources, Settings } from "./config";
import type { Labels } from "./labels";

type Input<T> = pulumi.Input<T>;
export type Container = k8s.types.input.core.v1.Container;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Probe = k8s.types.input.core.v1.Probe;
export type Volume = k8s.types.input.core.v1.Volume;
export type EnvVar = k8s.types.input.core.v1.EnvVar;

const runtimeDefaultSeccomp = { type: "RuntimeDefault" };

/** Pod-level half of the restricted profile; `fsGroup` makes mounted volumes writable by the image's user. */
export function restrictedPodSecurity(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: runtimeDefaultSeccomp,
  };
}

/** Container-level half, repeated on every container so no container relies on the pod's defaults alone. */
export function restrictedContainerSecurity(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: runtimeDefaultSeccomp,
  };
}

/**
 * Pod fields every workload sets: no API token unless a workload asks for one, and no service-link variables
 * (a Service named `redis` would otherwise inject REDIS_PORT=tcp://… into every pod of the namespace).
 */
export function podDefaults(serviceAccountName: Input<string>, uid: number, automountToken = false) {
  return {
    serviceAccountName,
    automountServiceAccountToken: automountToken,
    enableServiceLinks: false,
    securityContext: restrictedPodSecurity(uid),
  };
}

/**
 * The rollout of a serving Deployment whose replica count an HPA owns: no `replicas` (a value here would reset the
 * HPA's count on every `pulumi up`), and a new pod ready before an old one goes.
 */
export function autoscaledRollout(selector: Labels) {
  return {
    selector: { matchLabels: selector },
    revisionHistoryLimit: 5,
    minReadySeconds: 5,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
  };
}

/** Serving pods spread over zones, then nodes, as evenly as the scheduler can (never left pending for it). */
export function spreadOverZonesAndNodes(selector: Labels) {
  return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
  }));
}

/** The PriorityClass of serving pods (`priorityClassName`, one the platform installs); nothing when unset. */
export function servingPriority(settings: Pick<Settings, "priorityClassName">): { priorityClassName?: string } {
  return settings.priorityClassName === undefined ? {} : { priorityClassName: settings.priorityClassName };
}

/**
 * How long a finished one-off Job (and its pods' logs) stays before Kubernetes deletes it: long enough to read a
 * failed run's logs after a weekend. Pulumi keeps the Job in its state; a later refresh sees it gone and the next
 * `pulumi up` runs it again, which the Jobs allow (migrations, seeding and restore checks are idempotent).
 */
export const FINISHED_JOB_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Time the provider keeps awaiting a Job past its `activeDeadlineSeconds`: scheduling, image pulls, the final status. */
export const JOB_AWAIT_MARGIN_SECONDS = 300;

/**
 * The provider's annotations for a one-off Job `pulumi up` waits for. Its await gives up after 10 minutes unless
 * told otherwise, so a Job allowed longer would fail the deployment while it still runs: the timeout is the
 * deadline plus a margin. `replaceUnready`: a Job that failed (or was cut short) is replaced on the next
 * `pulumi up` instead of blocking every later one (pulumi-kubernetes reads the live Job in its Diff).
 */
export function awaitedJobAnnotations(activeDeadlineSeconds: number): Record<string, string> {
  return {
    "pulumi.com/timeoutSeconds": String(activeDeadlineSeconds + JOB_AWAIT_MARGIN_SECONDS),
    "pulumi.com/replaceUnready": "true",
  };
}

/**
 * A finished Job is not run again because something it reads changed: its pod template is immutable, so the
 * provider would replace it (deleting first, the name being fixed), and the content-named ConfigMaps and Secrets
 * it references change name with every config change or rotation. A Job runs with what was current when it was
 * created; a new release (a new name) or a replacement of an unready one (`replaceUnready`) creates it again.
 */
export const FINISHED_JOB_IGNORES = ["spec.template"];

export function httpProbe(path: string, port: string | number, periodSeconds = 10, failureThreshold = 3): Probe {
  return {
    httpGet: { path, port },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  };
}

export function execProbe(command: string[], periodSeconds = 10, failureThreshold = 3): Probe {
  return { exec: { command }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

export function tcpProbe(port: string | number, periodSeconds = 10): Probe {
  return { tcpSocket: { port }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3 };
}

/** A size-capped emptyDir: the only writable places a read-only root filesystem leaves a container. */
export function scratchVolume(name: string, sizeLimit = "64Mi"): Volume {
  return { name, emptyDir: { sizeLimit } };
}

export function resourcesOf(r: Resources) {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

export function secretEnv(name: string, secretName: Input<string>, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export function plainEnv(values: Record<string, string>): EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** The usual metadata: explicit names (readable manifests, stable references) in the stack's namespace. */
export function meta(name: Input<string>, namespace: Input<string>, labels: Labels, annotations?: Record<string, string>) {
  return { name, namespace, labels, ...(annotations === undefined ? {} : { annotations }) };
}

/**
 * `<prefix>-<10 hex digits of the content's SHA-256>`: a name that changes exactly when the content does. The
 * provider replaces a ConfigMap or Secret whose data changes, and one with a fixed name it must delete first
 * (pulumi-kubernetes `provider.go`, `deleteBeforeReplace`), leaving its readers without it until the new one
 * exists. Under a content name the new object is created beside the old, the readers' pod templates change with
 * the name they reference (so their pods roll onto the new content), and the old object goes last.
 */
export function contentName(prefix: string, content: unknown): string {
  return `${prefix}-${createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 10)}`;
}

/**
 * `contentName` of content that is an Output. The name is never secret: where the content holds config secrets,
 * ten hex digits of their digest say nothing about them (they are long random tokens), and a secret name would
 * mask every reference to it in previews.
 */
export function contentNameOf(prefix: string, content: Input<unknown>): pulumi.Output<string> {
  const resolved: pulumi.Output<unknown> = pulumi.output(content);
  return pulumi.unsecret(resolved.apply((value) => contentName(prefix, value)));
}

/** A ConfigMap named after its data (`contentName`), so a change creates the new one before the old goes. */
export function contentConfigMap(
  id: string,
  namespace: Input<string>,
  labels: Labels,
  data: Input<Record<string, Input<string>>>,
  opts: pulumi.CustomResourceOptions,
  name: string = id,
): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(id, { metadata: meta(contentNameOf(name, data), namespace, labels), data }, opts);
}

/** A ServiceAccount per workload; tokens are never mounted by default (pods opt in through `podDefaults`). */
export function serviceAccount(
  name: string,
  namespace: Input<string>,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(
    name,
    { metadata: meta(name, namespace, labels), automountServiceAccountToken: false },
    opts,
  );
}

/** A ClusterIP Service in front of one workload's pods. */
export function clusterService(
  name: string,
  namespace: Input<string>,
  labels: Labels,
  selector: Labels,
  ports: Array<{ name: string; port: number }>,
  opts: pulumi.CustomResourceOptions,
  headless = false,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    name,
    {
      metadata: meta(name, namespace, labels),
      spec: {
        type: "ClusterIP",
        ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
        selector,
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
      },
    },
    opts,
  );
}

/** A PodDisruptionBudget that lets voluntary evictions take at most one pod of the selection at a time. */
export function disruptionBudget(
  name: string,
  namespace: Input<string>,
  labels: Labels,
  selector: Labels,
  opts: pulumi.CustomResourceOptions,
  budget: { maxUnavailable: number } | { minAvailable: number } = { maxUnavailable: 1 },
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    name,
    { metadata: meta(name, namespace, labels), spec: { ...budget, selector: { matchLabels: selector } } },
    opts,
  );
}

/** A ReadWriteOnce claim; no `storageClass` means the cluster's default class. */
export function volumeClaimSpec(size: string, storageClass: string | undefined) {
  return {
    accessModes: ["ReadWriteOnce"],
    ...(storageClass === undefined ? {} : { storageClassName: storageClass }),
    resources: { requests: { storage: size } },
  };
}

/** Where a claim's size is in a PersistentVolumeClaim. */
export const CLAIM_SIZE_PATH = "spec.resources.requests.storage";

/**
 * Where a claim's storage class is. It is immutable, so the provider replaces a claim whose class changes (deleting
 * its data); a claim keeps the class it was created with, like a StatefulSet's claim templates do. A stack created
 * before the platform stack named its storage classes left the class unset (the cluster's default), and the
 * platform's class then applies to claims created anew only.
 */
export const CLAIM_CLASS_PATH = "spec.storageClassName";

/**
 * A StatefulSet's claim templates. Kubernetes never changes them on a live StatefulSet and the provider replaces
 * the StatefulSet when they change, so they are what it was created with: a later size, label or storage class
 * applies to a StatefulSet created anew, the size of the existing claims grows through `claimGrowth`, and a
 * StatefulSet deployed with volatile template labels (a version) keeps them rather than being replaced.
 */
export const CLAIM_TEMPLATES_PATH = "spec.volumeClaimTemplates";

/** The claim a StatefulSet makes for a pod from a `volumeClaimTemplates` entry: `<template>-<StatefulSet>-<ordinal>`. */
export function statefulSetClaim(template: string, statefulSet: string, ordinal = 0): string {
  return `${template}-${statefulSet}-${ordinal}`;
}

/**
 * Grows an existing claim to `size` with a server-side apply patch of its storage request alone. The provider
 * replaces a PersistentVolumeClaim whose request changes (deleting its data) and a StatefulSet whose claim
 * templates change, so those keep the size they were created with (`ignoreChanges` on CLAIM_SIZE_PATH or
 * CLAIM_TEMPLATES_PATH) and this patch, which the provider updates in place, carries the current one.
 * Kubernetes expands the volume when the StorageClass has `allowVolumeExpansion: true` and refuses a smaller size;
 * docs/operations.md has the procedure for a class without expansion. `patchForce`: the StatefulSet controller
 * (or the claim's own resource) owns the field from its creation.
 */
export function claimGrowth(
  id: string,
  claimName: string,
  namespace: Input<string>,
  size: string,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaimPatch {
  return new k8s.core.v1.PersistentVolumeClaimPatch(
    id,
    {
      metadata: {
        name: claimName,
        namespace,
        annotations: { "pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "volume-growth" },
      },
      spec: { resources: { requests: { storage: size } } },
    },
    opts,
  );
}

/** Response headers the edge (components/edge.ts) sets on everything a stack serves publicly, whatever the content. */
export const EDGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
};
