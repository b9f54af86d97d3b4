// Pod Security Standards, the controls of the Baseline level (which the restricted profile includes), each as
// PSA's check of the same ID evaluates it (k8s.io/pod-security-admission/policy/check_<id>.go): every container,
// init container and ephemeral container, in PSA's order.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, Handler, objectsIn, PodTemplate, quoteList, SELinuxOptions } from "../../lib/k8s";
import { podField, pssControl } from "../../lib/pss";

const hostNamespaces = pssControl({
  name: "pss-host-namespaces",
  description: "Pods must not share the host's network, PID or IPC namespace (PSA hostNamespaces, 1.0): remove hostNetwork, hostPID and hostIPC from the pod spec or set them to false.",
  severity: "critical",
  counterparts: { polaris: ["hostNetworkSet", "hostPIDSet", "hostIPCSet"], kubeLinter: ["host-network", "host-pid", "host-ipc"] },
  versions: [
    {
      since: 0,
      check: (pod) =>
        (["hostNetwork", "hostPID", "hostIPC"] as const)
          .filter((field) => pod.spec[field] === true)
          .map((field) => `pod sets ${pod.specPath}.${field}=true; remove it or set it to false`),
    },
  ],
});

const privileged = pssControl({
  name: "pss-privileged-containers",
  description: "Containers must not run privileged (PSA privileged, 1.0): remove securityContext.privileged or set it to false.",
  severity: "critical",
  counterparts: { polaris: ["runAsPrivileged"], kubeLinter: ["privileged-container"], kubeScore: ["container-security-context-privileged"] },
  versions: [
    {
      since: 0,
      check: (pod) =>
        allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.privileged === true)
          .map(({ label }) => `${label} sets securityContext.privileged=true; remove it or set it to false`),
    },
  ],
});

const hostPorts = pssControl({
  name: "pss-host-ports",
  description: "Containers must not bind host ports (PSA hostPorts, 1.0): remove ports[].hostPort (or set it to 0) and expose the port through a Service.",
  severity: "high",
  counterparts: { polaris: ["hostPortSet"] },
  versions: [
    {
      since: 0,
      check: (pod) =>
        allContainers(pod.spec).flatMap(({ container, label }) =>
          objectsIn(container.ports)
            .filter((port) => port.hostPort !== undefined && port.hostPort !== 0)
            .map((port) => `${label} sets ports[].hostPort=${port.hostPort}; remove hostPort and expose the port through a Service`),
        ),
    },
  ],
});

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const HOOKS = ["postStart", "preStop"] as const;

function handlerHosts(handler: Handler | undefined, path: string): Array<{ field: string; host: string }> {
  return (["httpGet", "tcpSocket"] as const)
    .filter((action) => typeof handler?.[action]?.host === "string" && handler[action].host !== "")
    .map((action) => ({ field: `${path}.${action}.host`, host: handler?.[action]?.host as string }));
}

const hostProbesAndLifecycle = pssControl({
  name: "pss-host-probes-lifecycle",
  description: "Probes and lifecycle hooks must not target another host (PSA hostProbesAndHostLifecycle, 1.34): remove httpGet.host and tcpSocket.host from liveness, readiness and startup probes and from postStart and preStop hooks.",
  severity: "medium",
  counterparts: {},
  versions: [
    {
      since: 34,
      check: (pod) =>
        allContainers(pod.spec).flatMap(({ container, label }) =>
          [
            ...PROBES.flatMap((probe) => handlerHosts(container[probe], probe)),
            ...HOOKS.flatMap((hook) => handlerHosts(container.lifecycle?.[hook], `lifecycle.${hook}`)),
          ].map(({ field, host }) => `${label} sets ${field}="${host}"; remove the host so the kubelet targets the pod's own IP`),
        ),
    },
  ],
});

const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function appArmorAnnotationAllowed(value: string): boolean {
  return value === "" || value === "runtime/default" || value.startsWith("localhost/");
}

// PSA amended its single 1.0 revision with the appArmorProfile fields, so the fields count at every version.
function appArmorProblems(pod: PodTemplate): string[] {
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
}

const appArmor = pssControl({
  name: "pss-apparmor",
  description: "Pods and containers must not disable AppArmor (PSA appArmorProfile, 1.0): set securityContext.appArmorProfile.type to RuntimeDefault or Localhost (or leave it unset), and use runtime/default or localhost/<profile> in container.apparmor.security.beta.kubernetes.io annotations.",
  severity: "high",
  counterparts: {},
  versions: [{ since: 0, check: appArmorProblems }],
});

function seLinuxProblems(allowedTypes: string[], options: SELinuxOptions | undefined, subject: string, field: string): string[] {
  if (!options) {
    return [];
  }
  const problems: string[] = [];
  if (!allowedTypes.includes(options.type ?? "")) {
    problems.push(`${subject} sets ${field}.type="${options.type}"; use one of ${quoteList(allowedTypes.filter(Boolean))}, or remove it`);
  }
  for (const key of ["user", "role"] as const) {
    if (options[key]) {
      problems.push(`${subject} sets ${field}.${key}="${options[key]}"; remove it`);
    }
  }
  return problems;
}

function seLinuxCheck(allowedTypes: string[]) {
  return (pod: PodTemplate) => [
    ...seLinuxProblems(allowedTypes, pod.spec.securityContext?.seLinuxOptions, "pod", podField(pod, "seLinuxOptions")),
    ...allContainers(pod.spec).flatMap(({ container, label }) =>
      seLinuxProblems(allowedTypes, container.securityContext?.seLinuxOptions, label, "securityContext.seLinuxOptions"),
    ),
  ];
}

const SELINUX_TYPES_1_0 = ["", "container_t", "container_init_t", "container_kvm_t"];

const seLinux = pssControl({
  name: "pss-selinux",
  description: "Pods and containers must not set custom SELinux options (PSA seLinuxOptions, 1.0 and 1.31): seLinuxOptions.type may only be container_t, container_init_t, container_kvm_t or (from 1.31) container_engine_t, and seLinuxOptions.user and .role must be unset.",
  severity: "high",
  counterparts: {},
  versions: [
    { since: 0, check: seLinuxCheck(SELINUX_TYPES_1_0) },
    { since: 31, check: seLinuxCheck([...SELINUX_TYPES_1_0, "container_engine_t"]) },
  ],
});

// The restricted profile forbids every non-default /proc mount at every version: before 1.35 the baseline
// check's user-namespace relaxation sat behind a perma-alpha gate, and from 1.35 procMount_restricted
// overrides the relaxed baseline check.
const procMount = pssControl({
  name: "pss-proc-mount",
  description: "Containers must keep the default /proc masks (PSA procMount 1.0, procMount_restricted 1.35): remove securityContext.procMount or set it to Default.",
  severity: "high",
  counterparts: { polaris: ["procMount"], kubeLinter: ["unsafe-proc-mount"] },
  versions: [
    {
      since: 0,
      check: (pod) =>
        allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.procMount !== undefined && container.securityContext.procMount !== "Default")
          .map(({ container, label }) => `${label} sets securityContext.procMount="${container.securityContext?.procMount}"; remove it or set it to Default`),
    },
  ],
});

/** The sysctls PSA deems safe, by the policy version that added them. */
const SAFE_SYSCTLS: Array<[number, string[]]> = [
  [0, ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]],
  [27, ["net.ipv4.ip_local_reserved_ports"]],
  [29, ["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]],
  [32, ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]],
  [37, ["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]],
];

function safeSysctlsAt(minor: number): string[] {
  return SAFE_SYSCTLS.filter(([since]) => since <= minor).flatMap(([, names]) => names);
}

const sysctls = pssControl({
  name: "pss-sysctls",
  description: `Pods may only set the safe sysctls (PSA sysctls, 1.0, 1.27, 1.29, 1.32 and 1.37; at latest: ${safeSysctlsAt(Infinity).join(", ")}): remove any other entry from securityContext.sysctls.`,
  severity: "high",
  counterparts: { kubeLinter: ["unsafe-sysctls"] },
  versions: SAFE_SYSCTLS.map(([since]) => ({
    since,
    check: (pod: PodTemplate) =>
      objectsIn(pod.spec.securityContext?.sysctls)
        .filter((sysctl) => !safeSysctlsAt(since).includes(sysctl.name))
        .map((sysctl) => `pod sets sysctl "${sysctl.name}"; remove it from ${podField(pod, "sysctls")} (only the safe sysctls are allowed)`),
  })),
});

const windowsHostProcess = pssControl({
  name: "pss-windows-host-process",
  description: "Windows pods must not run HostProcess containers (PSA windowsHostProcess, 1.0): remove securityContext.windowsOptions.hostProcess or set it to false.",
  severity: "critical",
  counterparts: { polaris: ["hostProcess"] },
  versions: [
    {
      since: 0,
      check: (pod) => [
        ...(pod.spec.securityContext?.windowsOptions?.hostProcess === true
          ? [`pod sets ${podField(pod, "windowsOptions.hostProcess")}=true; remove it or set it to false`]
          : []),
        ...allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.windowsOptions?.hostProcess === true)
          .map(({ label }) => `${label} sets securityContext.windowsOptions.hostProcess=true; remove it or set it to false`),
      ],
    },
  ],
});

const ulimits = pssControl({
  name: "pss-ulimits",
  description: "Containers must not set their own resource limits (PSA ulimits, 1.37; the alpha per-container ulimits field): remove securityContext.ulimits.",
  severity: "medium",
  counterparts: {},
  versions: [
    {
      since: 37,
      check: (pod) =>
        allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.ulimits !== undefined)
          .map(({ label }) => `${label} sets securityContext.ulimits; remove it`),
    },
  ],
});

export const baselineControls: ResourceValidationPolicy[] = [
  hostNamespaces,
  privileged,
  hostPorts,
  hostProbesAndLifecycle,
  appArmor,
  seLinux,
  procMount,
  sysctls,
  windowsHostProcess,
  ulimits,
];
