// Workload hygiene: resources, probes that reach a declared port, ports that need no privilege, one value per
// environment variable, read-only root filesystems, no root group, ServiceAccounts and their tokens, a priority
// class for serving pods.
import type { Policies } from "@pulumi/policy";
import { ExemptNamespacesConfig, podPolicy, stackPolicy } from "../lib/define";
import { allContainers, Container, ContainerRef, Handler, objectsIn, quoteList, rootIdProblems } from "../lib/k8s";
import { objectsOfKind, workloadsOf } from "../lib/stack";

const RESOURCE_FIELDS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

function missingResources({ container }: ContainerRef): string[] {
  return RESOURCE_FIELDS.filter((field) => {
    const [section, resource] = field.split(".") as ["requests" | "limits", string];
    const value = container.resources?.[section]?.[resource];
    return value === undefined || value === null || value === "";
  }).map((field) => `resources.${field}`);
}

const containerResources = podPolicy({
  name: "container-resources",
  description: "Every container and init container must declare CPU and memory requests and limits: set resources.requests.cpu, resources.requests.memory, resources.limits.cpu and resources.limits.memory.",
  severity: "medium",
  counterparts: {
    polaris: ["cpuRequestsMissing", "cpuLimitsMissing", "memoryRequestsMissing", "memoryLimitsMissing"],
    kubeLinter: ["unset-cpu-requirements", "unset-memory-requirements"],
    kubeScore: ["container-resources"],
  },
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ role }) => role !== "ephemeral container")
      .flatMap((ref) => {
        const missing = missingResources(ref);
        return missing.length > 0 ? [`${ref.label} does not set ${missing.join(", ")}; set CPU and memory requests and limits`] : [];
      }),
});

/** Containers that run beside the app for the pod's life and may carry probes: regular ones and sidecars. */
function probedContainers(refs: ContainerRef[]): ContainerRef[] {
  return refs.filter(({ container, role }) => role === "container" || (role === "init container" && container.restartPolicy === "Always"));
}

const containerProbes = podPolicy({
  name: "container-probes",
  description: "Containers of long-running workloads (and their sidecars) must have a livenessProbe and a readinessProbe: add both so Kubernetes restarts hung containers and routes traffic only to ready ones.",
  severity: "medium",
  counterparts: { polaris: ["livenessProbeMissing", "readinessProbeMissing"], kubeLinter: ["no-liveness-probe", "no-readiness-probe"], kubeScore: ["pod-probes"] },
  check: (pod) =>
    pod.longRunning
      ? probedContainers(allContainers(pod.spec)).flatMap(({ container, label }) => {
          const missing = (["livenessProbe", "readinessProbe"] as const).filter((probe) => container[probe] === undefined);
          return missing.length > 0 ? [`${label} has no ${missing.join(" or ")}; add ${missing.length === 1 ? "it" : "both"}`] : [];
        })
      : [],
});

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

function probePort(probe: Handler | undefined): { action: string; port: number | string } | undefined {
  const action = (["httpGet", "tcpSocket", "grpc"] as const).find((candidate) => probe?.[candidate]?.port !== undefined);
  return action && { action, port: probe?.[action]?.port as number | string };
}

function undeclaredProbePorts(container: Container, label: string): string[] {
  const ports = objectsIn(container.ports);
  return PROBES.flatMap((probe) => {
    const target = probePort(container[probe]);
    if (!target) {
      return [];
    }
    const declared = typeof target.port === "number" ? ports.some((port) => port.containerPort === target.port) : ports.some((port) => port.name === target.port);
    const kind = typeof target.port === "number" ? "port" : "named port";
    return declared ? [] : [`${label} ${probe} targets ${kind} ${JSON.stringify(target.port)} (${probe}.${target.action}.port), which the container does not declare; add it to ports or probe a declared port`];
  });
}

const probePorts = podPolicy({
  name: "probe-ports",
  description: "Probes must target a port the container declares: make each probe's httpGet, tcpSocket or grpc port a containerPort (or a port name) listed in the container's ports.",
  severity: "medium",
  counterparts: { kubeLinter: ["liveness-port", "readiness-port", "startup-port"] },
  check: (pod) => probedContainers(allContainers(pod.spec)).flatMap(({ container, label }) => undeclaredProbePorts(container, label)),
});

const SSH_PORT = 22;

const containerPorts = podPolicy({
  name: "container-ports",
  description: "Containers must not listen on privileged ports (below 1024), which need NET_BIND_SERVICE, nor on the SSH port 22: listen on a port of 1024 or above and map it in the Service, and remove SSH servers.",
  severity: "low",
  counterparts: { kubeLinter: ["privileged-ports", "ssh-port"] },
  check: (pod) =>
    allContainers(pod.spec).flatMap(({ container, label }) =>
      objectsIn(container.ports)
        .filter((port) => typeof port.containerPort === "number" && port.containerPort < 1024)
        .map((port) =>
          port.containerPort === SSH_PORT && (port.protocol ?? "TCP") === "TCP"
            ? `${label} declares port 22, the SSH port; remove the SSH server (use kubectl debug) or move the service off port 22`
            : `${label} declares privileged port ${port.containerPort}; listen on a port of 1024 or above and map it in the Service`,
        ),
    ),
});

const envVarUnique = podPolicy({
  name: "env-var-unique",
  description: "A container must set each environment variable once (the last definition silently wins): remove the duplicate entries from env.",
  severity: "low",
  counterparts: { kubeLinter: ["duplicate-env-var"], kubeScore: ["environment-variable-key-duplication"] },
  check: (pod) =>
    allContainers(pod.spec).flatMap(({ container, label }) => {
      const positions = new Map<string, number[]>();
      objectsIn(container.env).forEach((variable, index) => positions.set(variable.name, [...(positions.get(variable.name) ?? []), index]));
      return [...positions]
        .filter(([, indexes]) => indexes.length > 1)
        .map(([name, indexes]) => `${label} sets env ${name} ${indexes.length} times (${indexes.map((index) => `env[${index}]`).join(", ")}); keep one`);
    }),
});

const readOnlyRootFilesystem = podPolicy({
  name: "read-only-root-filesystem",
  description: "Containers must run with a read-only root filesystem: set securityContext.readOnlyRootFilesystem=true and mount an emptyDir where the process needs to write.",
  severity: "medium",
  counterparts: { polaris: ["notReadOnlyRootFilesystem"], kubeLinter: ["no-read-only-root-fs"], kubeScore: ["container-security-context-readonlyrootfilesystem"] },
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.readOnlyRootFilesystem !== true)
      .map(({ container, label }) =>
        container.securityContext?.readOnlyRootFilesystem === false
          ? `${label} sets securityContext.readOnlyRootFilesystem=false; set it to true and mount an emptyDir where it writes`
          : `${label} does not set securityContext.readOnlyRootFilesystem; set it to true and mount an emptyDir where it writes`,
      ),
});

const runAsGroup = podPolicy({
  name: "run-as-group",
  description: "Pods and containers must not run with the root group (GID 0), which owns files the root user can write: set securityContext.runAsGroup to a non-zero GID or leave it unset.",
  severity: "medium",
  counterparts: { kubeScore: ["container-security-context-user-group-id"] },
  check: (pod) => rootIdProblems(pod, "runAsGroup"),
});

const noDefaultServiceAccount = podPolicy({
  name: "no-default-service-account",
  description: "Pods must not run as their namespace's default ServiceAccount: create a dedicated ServiceAccount and set serviceAccountName in the pod spec.",
  severity: "medium",
  counterparts: { kubeLinter: ["default-service-account"] },
  check: (pod) => {
    const account = pod.spec.serviceAccountName || pod.spec.serviceAccount;
    return account && account !== "default"
      ? []
      : [`pod runs as the "default" ServiceAccount; create a dedicated ServiceAccount and set ${pod.specPath}.serviceAccountName`];
  },
});

interface TokenConfig extends ExemptNamespacesConfig {
  apiAccessServiceAccounts?: string[];
}

const serviceAccountTokenAutomount = stackPolicy<TokenConfig>({
  name: "service-account-token-automount",
  description: "Pods must not mount a ServiceAccount token unless they call the Kubernetes API: set automountServiceAccountToken=false on the pod spec (or on its ServiceAccount); list the ServiceAccounts of pods that need the API as namespace/name in apiAccessServiceAccounts.",
  severity: "medium",
  counterparts: { polaris: ["automountServiceAccountToken"], kubeLinter: ["automount-service-account-token"] },
  config: {
    apiAccessServiceAccounts: {
      type: "array",
      items: { type: "string", pattern: "^[^/]+/[^/]+$" },
      uniqueItems: true,
      default: [],
      description: "ServiceAccounts (namespace/name) whose pods call the Kubernetes API and may mount a token.",
    },
  },
  check: (args, { apiAccessServiceAccounts = [] }, reportViolation) => {
    const accounts = new Map(objectsOfKind(args.resources, "core:ServiceAccount").map((sa) => [`${sa.namespace}/${sa.name}`, sa.object]));
    for (const { pod, name, resource } of workloadsOf(args)) {
      const account = `${pod.namespace}/${pod.spec.serviceAccountName || pod.spec.serviceAccount || "default"}`;
      const automount = pod.spec.automountServiceAccountToken ?? (accounts.get(account)?.automountServiceAccountToken as boolean | undefined) ?? true;
      if (automount && !apiAccessServiceAccounts.includes(account)) {
        reportViolation(
          `${pod.kind} "${name}" mounts the token of ServiceAccount ${account}; set ${pod.specPath}.automountServiceAccountToken=false, or list "${account}" in apiAccessServiceAccounts if it calls the Kubernetes API`,
          resource.urn,
        );
      }
    }
  },
});

interface PriorityConfig extends ExemptNamespacesConfig {
  allowedPriorityClasses?: string[];
}

const priorityClass = podPolicy<PriorityConfig>({
  name: "priority-class",
  description: "Serving workloads (Deployments, StatefulSets, DaemonSets and other long-running pods) must name a PriorityClass, so the scheduler knows what to preempt under pressure: set priorityClassName in the pod spec to one of allowedPriorityClasses (any class when the list is empty).",
  severity: "low",
  counterparts: { polaris: ["priorityClassNotSet"], kubeLinter: ["priority-class-name"] },
  config: {
    allowedPriorityClasses: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "PriorityClasses serving pods may use, e.g. the ones the platform installs; empty allows any.",
    },
  },
  check: (pod, { allowedPriorityClasses = [] }) => {
    if (!pod.longRunning) {
      return [];
    }
    const name = pod.spec.priorityClassName;
    if (!name) {
      return [`pod sets no ${pod.specPath}.priorityClassName; name the PriorityClass of serving workloads${allowedPriorityClasses.length > 0 ? ` (${quoteList(allowedPriorityClasses)})` : ""}`];
    }
    return allowedPriorityClasses.length > 0 && !allowedPriorityClasses.includes(name)
      ? [`pod uses PriorityClass "${name}", which is not one of ${quoteList(allowedPriorityClasses)}; use one of them`]
      : [];
  },
});

export const workloadHygienePolicies: Policies = [
  containerResources,
  containerProbes,
  probePorts,
  containerPorts,
  envVarUnique,
  readOnlyRootFilesystem,
  runAsGroup,
  noDefaultServiceAccount,
  serviceAccountTokenAutomount,
  priorityClass,
];
