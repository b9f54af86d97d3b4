/**
 * Building blocks every pod shares, so the restricted Pod Security profile, the probes and the volumes are written
 * once: a workload that needs an exception has to say so where it is built.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
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
export function meta(name: string, namespace: Input<string>, labels: Labels, annotations?: Record<string, string>) {
  return { name, namespace, labels, ...(annotations === undefined ? {} : { annotations }) };
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

/** Response headers the edge adds to everything a stack serves publicly, whatever the content. */
export const EDGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
};

/**
 * ingress-nginx annotations of a public Ingress: HTTPS only, the stack's rate limits per client address, and the
 * response headers of a ConfigMap (`namespace/name`), whose names the controller must list in its
 * `global-allowed-response-headers`.
 */
export function edgeAnnotations(
  rateLimit: Settings["ingress"]["rateLimit"],
  headersConfigMap: Input<string>,
): Record<string, Input<string>> {
  return {
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/limit-rps": String(rateLimit.rps),
    "nginx.ingress.kubernetes.io/limit-burst-multiplier": String(rateLimit.burstMultiplier),
    "nginx.ingress.kubernetes.io/limit-connections": String(rateLimit.connections),
    "nginx.ingress.kubernetes.io/custom-headers": headersConfigMap,
  };
}

/** An Ingress spec for one TLS host that sends the given path prefixes (all paths by default) to one Service's `http` port. */
export function tlsIngressSpec(
  className: string,
  host: string,
  tlsSecretName: string,
  serviceName: Input<string>,
  pathPrefixes: readonly string[] = ["/"],
) {
  const backend = { service: { name: serviceName, port: { name: "http" } } };
  return {
    ingressClassName: className,
    tls: [{ hosts: [host], secretName: tlsSecretName }],
    rules: [{ host, http: { paths: pathPrefixes.map((path) => ({ path, pathType: "Prefix", backend })) } }],
  };
}
