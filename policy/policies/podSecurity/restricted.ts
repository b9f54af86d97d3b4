// Pod Security Standards, the controls the Restricted level adds or tightens, each as PSA evaluates it at every
// policy version: where a restricted check overrides a baseline one (capabilities, seccomp, volumes), the
// baseline revision still judges the versions before the restricted check existed.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, ContainerRef, isWindowsPod, objectsIn, PodTemplate, quoteList, rootIdProblems } from "../../lib/k8s";
import { inUserNamespace, podField, pssControl } from "../../lib/pss";

/**
 * The volume sources the restricted profile allows. A volume with no source is allowed too: the API server
 * defaults it to emptyDir before admission, so PSA never sees it without one.
 */
const ALLOWED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];

function wordList(words: string[], conjunction: "and" | "or"): string {
  return `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}

const volumeTypes = pssControl({
  name: "pss-volume-types",
  description: `Pods may only use ${wordList(ALLOWED_VOLUME_SOURCES, "and")} volumes (PSA restrictedVolumes, 1.0; a volume without a source becomes an emptyDir): replace hostPath and other node or network volumes with a persistentVolumeClaim (or csi) volume.`,
  severity: "high",
  counterparts: { polaris: ["hostPathSet"], kubeLinter: ["sensitive-host-mounts", "docker-sock", "writable-host-mount"] },
  versions: [
    {
      since: 0,
      check: (pod) =>
        objectsIn(pod.spec.volumes).flatMap((volume) => {
          const sources = Object.keys(volume).filter((key) => key !== "name" && volume[key] !== undefined && volume[key] !== null);
          return sources.length === 0 || sources.some((source) => ALLOWED_VOLUME_SOURCES.includes(source))
            ? []
            : [`volume "${volume.name ?? "?"}" uses ${sources[0]}; use a ${wordList(ALLOWED_VOLUME_SOURCES, "or")} volume instead`];
        }),
    },
  ],
});

/** The capabilities the baseline level lets a container add: the container runtime's defaults minus NET_RAW. */
const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

function addedBeyond(allowed: string[], { container, label }: ContainerRef): string[] {
  const added = [...new Set((container.securityContext?.capabilities?.add ?? []).filter((capability) => !allowed.includes(capability)))];
  return added.length === 0
    ? []
    : [`${label} adds ${quoteList(added)} in securityContext.capabilities.add; remove ${added.length === 1 ? "it" : "them"} (only ${allowed.length === 1 ? allowed[0] : "the runtime's default capabilities"} may be added)`];
}

function dropsAll(ref: ContainerRef): string[] {
  return (ref.container.securityContext?.capabilities?.drop ?? []).includes("ALL")
    ? []
    : [`${ref.label} does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]`];
}

function restrictedCapabilities(pod: PodTemplate): string[] {
  return allContainers(pod.spec).flatMap((ref) => [...dropsAll(ref), ...addedBeyond(["NET_BIND_SERVICE"], ref)]);
}

const capabilities = pssControl({
  name: "pss-capabilities",
  description: 'Containers must drop all Linux capabilities and may add back only NET_BIND_SERVICE (PSA capabilities_restricted, 1.22; Windows pods exempt from 1.25; capabilities_baseline before 1.22): set securityContext.capabilities.drop: ["ALL"] and remove other capabilities from securityContext.capabilities.add.',
  severity: "high",
  counterparts: { polaris: ["dangerousCapabilities", "insecureCapabilities"], kubeLinter: ["drop-net-raw-capability"] },
  versions: [
    { since: 0, check: (pod) => allContainers(pod.spec).flatMap((ref) => addedBeyond(BASELINE_CAPABILITIES, ref)) },
    { since: 22, check: restrictedCapabilities },
    { since: 25, check: (pod) => (isWindowsPod(pod.spec) ? [] : restrictedCapabilities(pod)) },
  ],
});

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];
const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/";

function seccompAnnotationAllowed(value: string): boolean {
  return value === "runtime/default" || value === "docker/default" || value.startsWith("localhost/");
}

/** Before 1.19 seccomp was set by annotations, which the baseline check confined to the runtime's profiles. */
function seccompAnnotationProblems(pod: PodTemplate): string[] {
  const annotations = pod.metadata.annotations ?? {};
  const keys = [SECCOMP_POD_ANNOTATION, ...allContainers(pod.spec).map(({ container }) => `${SECCOMP_CONTAINER_ANNOTATION}${container.name}`)];
  return keys
    .filter((key) => annotations[key] !== undefined && !seccompAnnotationAllowed(String(annotations[key])))
    .map((key) => `pod annotation ${key}="${annotations[key]}" disables seccomp; use runtime/default or localhost/<profile>`);
}

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

const seccomp = pssControl({
  name: "pss-seccomp",
  description: "Every container must run with the RuntimeDefault or Localhost seccomp profile (PSA seccompProfile_restricted, 1.19; Windows pods exempt from 1.25; the baseline annotation check before 1.19): set securityContext.seccompProfile.type on the pod (or on each container).",
  severity: "high",
  counterparts: { polaris: ["linuxHardening"], kubeScore: ["container-seccomp-profile"] },
  versions: [
    { since: 0, check: seccompAnnotationProblems },
    { since: 19, check: seccompProblems },
    { since: 25, check: (pod) => (isWindowsPod(pod.spec) ? [] : seccompProblems(pod)) },
  ],
});

function privilegeEscalationProblems(pod: PodTemplate): string[] {
  return allContainers(pod.spec)
    .filter(({ container }) => container.securityContext?.allowPrivilegeEscalation !== false)
    .map(({ container, label }) =>
      container.securityContext?.allowPrivilegeEscalation === true
        ? `${label} sets securityContext.allowPrivilegeEscalation=true; set it to false`
        : `${label} does not set securityContext.allowPrivilegeEscalation; set it to false`,
    );
}

const privilegeEscalation = pssControl({
  name: "pss-privilege-escalation",
  description: "Containers must not allow privilege escalation (PSA allowPrivilegeEscalation, 1.8; Windows pods exempt from 1.25): set securityContext.allowPrivilegeEscalation=false on every container.",
  severity: "high",
  counterparts: { polaris: ["privilegeEscalationAllowed"], kubeLinter: ["privilege-escalation-container"] },
  versions: [
    { since: 8, check: privilegeEscalationProblems },
    { since: 25, check: (pod) => (isWindowsPod(pod.spec) ? [] : privilegeEscalationProblems(pod)) },
  ],
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

const runAsNonRoot = pssControl({
  name: "pss-run-as-non-root",
  description: "Containers must run as a non-root user (PSA runAsNonRoot 1.0; from 1.35 not checked for pods with hostUsers: false): set securityContext.runAsNonRoot=true on the pod (or on every container) and never false.",
  severity: "high",
  counterparts: { polaris: ["runAsRootAllowed"], kubeLinter: ["run-as-non-root"], kubeScore: ["container-security-context-user-group-id"] },
  versions: [
    { since: 0, check: runAsNonRootProblems },
    { since: 35, check: (pod) => (inUserNamespace(pod) ? [] : runAsNonRootProblems(pod)) },
  ],
});

const runAsUser = pssControl({
  name: "pss-run-as-user",
  description: "Pods and containers must not run as UID 0 (PSA runAsUser 1.23; from 1.35 not checked for pods with hostUsers: false): set securityContext.runAsUser to a non-zero UID or leave it unset.",
  severity: "high",
  counterparts: { polaris: ["runAsRootAllowed"], kubeLinter: ["run-as-non-root"], kubeScore: ["container-security-context-user-group-id"] },
  versions: [
    { since: 23, check: (pod) => rootIdProblems(pod, "runAsUser") },
    { since: 35, check: (pod) => (inUserNamespace(pod) ? [] : rootIdProblems(pod, "runAsUser")) },
  ],
});

const cgroupOptions = pssControl({
  name: "pss-cgroup-options",
  description: "Containers must not mount their cgroup writable (PSA cgroupOptions_restricted, 1.38; the alpha cgroupOptions field): remove securityContext.cgroupOptions.mountMode or set it to ReadOnly.",
  severity: "medium",
  counterparts: {},
  versions: [
    {
      since: 38,
      check: (pod) =>
        allContainers(pod.spec)
          .filter(({ container }) => container.securityContext?.cgroupOptions?.mountMode === "Writable")
          .map(({ label }) => `${label} sets securityContext.cgroupOptions.mountMode="Writable"; remove it or set it to ReadOnly`),
    },
  ],
});

export const restrictedControls: ResourceValidationPolicy[] = [
  volumeTypes,
  capabilities,
  seccomp,
  privilegeEscalation,
  runAsNonRoot,
  runAsUser,
  cgroupOptions,
];
