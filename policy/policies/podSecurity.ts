// Pod Security Standards, restricted profile: one policy per control, following the checks Pod Security
// Admission runs at policy version `latest` of Kubernetes 1.36 (k8s.io/pod-security-admission/policy):
// every container, init container and ephemeral container is checked; pod-level settings count where the
// standard lets them stand in for container-level ones (runAsNonRoot, seccomp); Windows pods (`spec.os.name:
// windows`) are exempt from the Linux-only controls; pods in a user namespace (`hostUsers: false`) are exempt
// from runAsNonRoot and runAsUser.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podPolicy } from "../lib/define";
import { allContainers, ContainerRef, Handler, isWindowsPod, PodTemplate, quoteList, SELinuxOptions } from "../lib/k8s";

function podField(pod: PodTemplate, field: string): string {
  return `${pod.specPath}.securityContext.${field}`;
}

const hostNamespaces = podPolicy({
  name: "pss-host-namespaces",
  description: "Pods must not share the host's network, PID or IPC namespace: remove hostNetwork, hostPID and hostIPC from the pod spec or set them to false.",
  severity: "critical",
  check: (pod) =>
    (["hostNetwork", "hostPID", "hostIPC"] as const)
      .filter((field) => pod.spec[field] === true)
      .map((field) => `pod sets ${pod.specPath}.${field}=true; remove it or set it to false`),
});

const privileged = podPolicy({
  name: "pss-privileged-containers",
  description: "Containers must not run privileged: remove securityContext.privileged or set it to false.",
  severity: "critical",
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.privileged === true)
      .map(({ label }) => `${label} sets securityContext.privileged=true; remove it or set it to false`),
});

const NET_BIND_SERVICE = "NET_BIND_SERVICE";

function capabilityProblems({ container, label }: ContainerRef): string[] {
  const capabilities = container.securityContext?.capabilities;
  const problems: string[] = [];
  if (!(capabilities?.drop ?? []).includes("ALL")) {
    problems.push(`${label} does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]`);
  }
  const added = (capabilities?.add ?? []).filter((capability) => capability !== NET_BIND_SERVICE);
  if (added.length > 0) {
    problems.push(
      `${label} adds ${quoteList(new Set(added))} in securityContext.capabilities.add; remove ${added.length === 1 ? "it" : "them"} (only NET_BIND_SERVICE may be added)`,
    );
  }
  return problems;
}

const capabilities = podPolicy({
  name: "pss-capabilities",
  description: 'Containers must drop all Linux capabilities and may add back only NET_BIND_SERVICE: set securityContext.capabilities.drop: ["ALL"] and remove other capabilities from securityContext.capabilities.add.',
  severity: "high",
  check: (pod) => (isWindowsPod(pod.spec) ? [] : allContainers(pod.spec).flatMap(capabilityProblems)),
});

const ALLOWED_VOLUME_SOURCES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
function wordList(words: string[], conjunction: "and" | "or"): string {
  return `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}

const volumeTypes = podPolicy({
  name: "pss-volume-types",
  description: `Pods may only use ${wordList(ALLOWED_VOLUME_SOURCES, "and")} volumes: replace hostPath and other node or network volumes with a persistentVolumeClaim (or csi) volume.`,
  severity: "high",
  check: (pod) =>
    (pod.spec.volumes ?? []).flatMap((volume) => {
      const sources = Object.keys(volume).filter((key) => key !== "name" && volume[key] !== undefined && volume[key] !== null);
      if (sources.some((source) => ALLOWED_VOLUME_SOURCES.includes(source))) {
        return [];
      }
      const uses = sources.length > 0 ? `uses ${sources[0]}` : "has no volume source";
      return [`volume "${volume.name ?? "?"}" ${uses}; use a ${wordList(ALLOWED_VOLUME_SOURCES, "or")} volume instead`];
    }),
});

const hostPorts = podPolicy({
  name: "pss-host-ports",
  description: "Containers must not bind host ports: remove ports[].hostPort (or set it to 0) and expose the port through a Service.",
  severity: "high",
  check: (pod) =>
    allContainers(pod.spec).flatMap(({ container, label }) =>
      (container.ports ?? [])
        .filter((port) => port.hostPort !== undefined && port.hostPort !== 0)
        .map((port) => `${label} sets ports[].hostPort=${port.hostPort}; remove hostPort and expose the port through a Service`),
    ),
});

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const HOOKS = ["postStart", "preStop"] as const;

function handlerHosts(handler: Handler | undefined, path: string): Array<{ field: string; host: string }> {
  return (["httpGet", "tcpSocket"] as const)
    .filter((action) => typeof handler?.[action]?.host === "string" && handler[action].host !== "")
    .map((action) => ({ field: `${path}.${action}.host`, host: handler?.[action]?.host as string }));
}

const hostProbesAndLifecycle = podPolicy({
  name: "pss-host-probes-lifecycle",
  description: "Probes and lifecycle hooks must not target another host: remove httpGet.host and tcpSocket.host from liveness, readiness and startup probes and from postStart and preStop hooks.",
  severity: "medium",
  check: (pod) =>
    allContainers(pod.spec).flatMap(({ container, label }) =>
      [
        ...PROBES.flatMap((probe) => handlerHosts(container[probe], probe)),
        ...HOOKS.flatMap((hook) => handlerHosts(container.lifecycle?.[hook], `lifecycle.${hook}`)),
      ].map(({ field, host }) => `${label} sets ${field}="${host}"; remove the host so the kubelet targets the pod's own IP`),
    ),
});

const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function appArmorAnnotationAllowed(value: string): boolean {
  return value === "" || value === "runtime/default" || value.startsWith("localhost/");
}

const appArmor = podPolicy({
  name: "pss-apparmor",
  description: "Pods and containers must not disable AppArmor: set securityContext.appArmorProfile.type to RuntimeDefault or Localhost (or leave it unset), and use runtime/default or localhost/<profile> in container.apparmor.security.beta.kubernetes.io annotations.",
  severity: "high",
  check: (pod) => {
    const problems: string[] = [];
    const podProfile = pod.spec.securityContext?.appArmorProfile;
    if (podProfile && !APPARMOR_TYPES.includes(podProfile.type ?? "")) {
      problems.push(`pod sets ${podField(pod, "appArmorProfile.type")}="${podProfile.type ?? ""}"; set it to RuntimeDefault or Localhost`);
    }
    for (const { container, label } of allContainers(pod.spec)) {
      const profile = container.securityContext?.appArmorProfile;
      if (profile && !APPARMOR_TYPES.includes(profile.type ?? "")) {
        problems.push(`${label} sets securityContext.appArmorProfile.type="${profile.type ?? ""}"; set it to RuntimeDefault or Localhost`);
      }
    }
    for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
      if (key.startsWith(APPARMOR_ANNOTATION_PREFIX) && !appArmorAnnotationAllowed(String(value))) {
        problems.push(`pod annotation ${key}="${value}" overrides the default AppArmor profile; use runtime/default or localhost/<profile>, or remove it`);
      }
    }
    return problems;
  },
});

const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

function seLinuxProblems(options: SELinuxOptions | undefined, subject: string, field: string): string[] {
  if (!options) {
    return [];
  }
  const problems: string[] = [];
  if (!SELINUX_TYPES.includes(options.type ?? "")) {
    problems.push(`${subject} sets ${field}.type="${options.type}"; use container_t, container_init_t, container_kvm_t or container_engine_t, or remove it`);
  }
  for (const key of ["user", "role"] as const) {
    if (options[key]) {
      problems.push(`${subject} sets ${field}.${key}="${options[key]}"; remove it`);
    }
  }
  return problems;
}

const seLinux = podPolicy({
  name: "pss-selinux",
  description: "Pods and containers must not set custom SELinux options: seLinuxOptions.type may only be container_t, container_init_t, container_kvm_t or container_engine_t, and seLinuxOptions.user and .role must be unset.",
  severity: "high",
  check: (pod) => [
    ...seLinuxProblems(pod.spec.securityContext?.seLinuxOptions, "pod", podField(pod, "seLinuxOptions")),
    ...allContainers(pod.spec).flatMap(({ container, label }) =>
      seLinuxProblems(container.securityContext?.seLinuxOptions, label, "securityContext.seLinuxOptions"),
    ),
  ],
});

const procMount = podPolicy({
  name: "pss-proc-mount",
  description: "Containers must keep the default /proc masks: remove securityContext.procMount or set it to Default.",
  severity: "high",
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.procMount !== undefined && container.securityContext.procMount !== "Default")
      .map(({ container, label }) => `${label} sets securityContext.procMount="${container.securityContext?.procMount}"; remove it or set it to Default`),
});

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];

function seccompProblems(pod: PodTemplate): string[] {
  const podProfile = pod.spec.securityContext?.seccompProfile;
  const problems: string[] = [];
  if (podProfile && !SECCOMP_TYPES.includes(podProfile.type ?? "")) {
    problems.push(`pod sets ${podField(pod, "seccompProfile.type")}="${podProfile.type ?? ""}"; set it to RuntimeDefault or Localhost`);
  }
  const podCovers = podProfile !== undefined && SECCOMP_TYPES.includes(podProfile.type ?? "");
  for (const { container, label } of allContainers(pod.spec)) {
    const profile = container.securityContext?.seccompProfile;
    if (profile && !SECCOMP_TYPES.includes(profile.type ?? "")) {
      problems.push(`${label} sets securityContext.seccompProfile.type="${profile.type ?? ""}"; set it to RuntimeDefault or Localhost`);
    } else if (!profile && !podCovers) {
      problems.push(`${label} has no seccomp profile; set ${podField(pod, "seccompProfile.type")}=RuntimeDefault (or set it on the container)`);
    }
  }
  return problems;
}

const seccomp = podPolicy({
  name: "pss-seccomp",
  description: "Every container must run with the RuntimeDefault or Localhost seccomp profile: set securityContext.seccompProfile.type on the pod (or on each container).",
  severity: "high",
  check: (pod) => (isWindowsPod(pod.spec) ? [] : seccompProblems(pod)),
});

const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
];

const sysctls = podPolicy({
  name: "pss-sysctls",
  description: `Pods may only set the safe sysctls (${SAFE_SYSCTLS.join(", ")}): remove any other entry from securityContext.sysctls.`,
  severity: "high",
  check: (pod) =>
    (pod.spec.securityContext?.sysctls ?? [])
      .filter((sysctl) => !SAFE_SYSCTLS.includes(sysctl.name))
      .map((sysctl) => `pod sets sysctl "${sysctl.name}"; remove it from ${podField(pod, "sysctls")} (only the safe sysctls are allowed)`),
});

const privilegeEscalation = podPolicy({
  name: "pss-privilege-escalation",
  description: "Containers must not allow privilege escalation: set securityContext.allowPrivilegeEscalation=false on every container.",
  severity: "high",
  check: (pod) =>
    isWindowsPod(pod.spec)
      ? []
      : allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.allowPrivilegeEscalation !== false)
          .map(({ container, label }) =>
            container.securityContext?.allowPrivilegeEscalation === true
              ? `${label} sets securityContext.allowPrivilegeEscalation=true; set it to false`
              : `${label} does not set securityContext.allowPrivilegeEscalation; set it to false`,
          ),
});

function runAsNonRootProblems(pod: PodTemplate): string[] {
  const podValue = pod.spec.securityContext?.runAsNonRoot;
  const problems = podValue === false ? [`pod sets ${podField(pod, "runAsNonRoot")}=false; set it to true`] : [];
  for (const { container, label } of allContainers(pod.spec)) {
    const value = container.securityContext?.runAsNonRoot;
    if (value === false) {
      problems.push(`${label} sets securityContext.runAsNonRoot=false; set it to true`);
    } else if (value === undefined && podValue !== true) {
      problems.push(`${label} may run as root; set ${podField(pod, "runAsNonRoot")}=true (or set it on the container)`);
    }
  }
  return problems;
}

function inUserNamespace(pod: PodTemplate): boolean {
  return pod.spec.hostUsers === false;
}

const runAsNonRoot = podPolicy({
  name: "pss-run-as-non-root",
  description: "Containers must run as a non-root user: set securityContext.runAsNonRoot=true on the pod (or on every container) and never false.",
  severity: "high",
  check: (pod) => (inUserNamespace(pod) ? [] : runAsNonRootProblems(pod)),
});

const runAsUser = podPolicy({
  name: "pss-run-as-user",
  description: "Pods and containers must not run as UID 0: set securityContext.runAsUser to a non-zero UID or leave it unset.",
  severity: "high",
  check: (pod) =>
    inUserNamespace(pod)
      ? []
      : [
          ...(pod.spec.securityContext?.runAsUser === 0 ? [`pod sets ${podField(pod, "runAsUser")}=0; use a non-zero UID`] : []),
          ...allContainers(pod.spec)
            .filter(({ container }) => container.securityContext?.runAsUser === 0)
            .map(({ label }) => `${label} sets securityContext.runAsUser=0; use a non-zero UID`),
        ],
});

const windowsHostProcess = podPolicy({
  name: "pss-windows-host-process",
  description: "Windows pods must not run HostProcess containers: remove securityContext.windowsOptions.hostProcess or set it to false.",
  severity: "critical",
  check: (pod) => [
    ...(pod.spec.securityContext?.windowsOptions?.hostProcess === true
      ? [`pod sets ${podField(pod, "windowsOptions.hostProcess")}=true; remove it or set it to false`]
      : []),
    ...allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.windowsOptions?.hostProcess === true)
      .map(({ label }) => `${label} sets securityContext.windowsOptions.hostProcess=true; remove it or set it to false`),
  ],
});

export const podSecurityPolicies: ResourceValidationPolicy[] = [
  hostNamespaces,
  privileged,
  capabilities,
  volumeTypes,
  hostPorts,
  hostProbesAndLifecycle,
  appArmor,
  seLinux,
  procMount,
  seccomp,
  sysctls,
  privilegeEscalation,
  runAsNonRoot,
  runAsUser,
  windowsHostProcess,
];
