import * as assert from "assert";
import type { StackResource } from "../../policy/runner";
import { container, cronJob, deployment, messages, modified, object, pod, podSpec } from "./fixtures";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const web = deployment("web");
const backup = cronJob("backup");

function withPod(resource: StackResource, change: (spec: Json) => void): StackResource {
  return modified(resource, (props) => change(pod(props)));
}

function bare(change: (spec: Json) => void): StackResource {
  const spec = podSpec("tool");
  change(spec);
  return object("v1", "Pod", "tool", { spec });
}

function withInit(resource: StackResource, change: (init: Json) => void): StackResource {
  return withPod(resource, (spec) => {
    const init = container("init");
    change(init);
    spec.initContainers = [init];
  });
}

interface Case {
  name: string;
  resource: StackResource;
  expected: string[];
}

const cases: Record<string, Case[]> = {
  "pss-host-namespaces": [
    { name: "allows host namespaces set to false", resource: withPod(web, (spec) => Object.assign(spec, { hostNetwork: false, hostPID: false, hostIPC: false })), expected: [] },
    {
      name: "flags hostNetwork on a Deployment",
      resource: withPod(web, (spec) => (spec.hostNetwork = true)),
      expected: ["pod sets spec.template.spec.hostNetwork=true; remove it or set it to false"],
    },
    {
      name: "flags hostPID and hostIPC in a CronJob's pod template",
      resource: withPod(backup, (spec) => Object.assign(spec, { hostPID: true, hostIPC: true })),
      expected: [
        "pod sets spec.jobTemplate.spec.template.spec.hostPID=true; remove it or set it to false",
        "pod sets spec.jobTemplate.spec.template.spec.hostIPC=true; remove it or set it to false",
      ],
    },
    { name: "flags hostNetwork on a bare Pod", resource: bare((spec) => (spec.hostNetwork = true)), expected: ["pod sets spec.hostNetwork=true; remove it or set it to false"] },
  ],
  "pss-privileged-containers": [
    { name: "allows privileged: false", resource: withPod(web, (spec) => (spec.containers[0].securityContext.privileged = false)), expected: [] },
    {
      name: "flags a privileged init container",
      resource: withInit(web, (init) => (init.securityContext.privileged = true)),
      expected: ['init container "init" sets securityContext.privileged=true; remove it or set it to false'],
    },
    {
      name: "flags a privileged ephemeral container",
      resource: bare((spec) => (spec.ephemeralContainers = [{ ...container("debug"), securityContext: { privileged: true } }])),
      expected: ['ephemeral container "debug" sets securityContext.privileged=true; remove it or set it to false'],
    },
  ],
  "pss-capabilities": [
    { name: "allows adding NET_BIND_SERVICE after dropping ALL", resource: withPod(web, (spec) => (spec.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"])), expected: [] },
    { name: "exempts Windows pods", resource: withPod(web, (spec) => Object.assign(spec, { os: { name: "windows" }, containers: [{ ...container("web"), securityContext: {} }] })), expected: [] },
    {
      name: "flags a container that keeps capabilities and adds SYS_ADMIN",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.capabilities = { add: ["SYS_ADMIN", "NET_BIND_SERVICE", "NET_RAW"] })),
      expected: [
        'container "web" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
        'container "web" adds "SYS_ADMIN", "NET_RAW" in securityContext.capabilities.add; remove them (only NET_BIND_SERVICE may be added)',
      ],
    },
    {
      name: "requires the exact value ALL and checks init containers without a securityContext",
      resource: withInit(
        withPod(web, (spec) => (spec.containers[0].securityContext.capabilities.drop = ["all"])),
        (init) => delete init.securityContext,
      ),
      expected: [
        'init container "init" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
        'container "web" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
      ],
    },
  ],
  "pss-volume-types": [
    {
      name: "allows the restricted volume types",
      resource: withPod(web, (spec) =>
        (spec.volumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"].map((source) => ({ name: source, [source]: {} }))),
      ),
      expected: [],
    },
    {
      name: "flags hostPath and nfs volumes",
      resource: withPod(web, (spec) => (spec.volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }, { name: "share", nfs: { server: "nfs", path: "/" } }])),
      expected: [
        'volume "docker" uses hostPath; use a configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volume instead',
        'volume "share" uses nfs; use a configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volume instead',
      ],
    },
    {
      name: "flags a volume without a source in a CronJob",
      resource: withPod(backup, (spec) => (spec.volumes = [{ name: "empty" }])),
      expected: ['volume "empty" has no volume source; use a configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volume instead'],
    },
  ],
  "pss-host-ports": [
    { name: "allows hostPort 0", resource: withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 8000, hostPort: 0 }])), expected: [] },
    {
      name: "flags a host port on a container",
      resource: withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 8000, hostPort: 8080 }])),
      expected: ['container "web" sets ports[].hostPort=8080; remove hostPort and expose the port through a Service'],
    },
    {
      name: "flags a host port on an init container",
      resource: withInit(web, (init) => (init.ports = [{ containerPort: 9000, hostPort: 9000 }])),
      expected: ['init container "init" sets ports[].hostPort=9000; remove hostPort and expose the port through a Service'],
    },
  ],
  "pss-host-probes-lifecycle": [
    { name: "allows an empty host", resource: withPod(web, (spec) => (spec.containers[0].livenessProbe.httpGet.host = "")), expected: [] },
    {
      name: "flags probe hosts",
      resource: withPod(web, (spec) => {
        spec.containers[0].livenessProbe.httpGet.host = "10.0.0.1";
        spec.containers[0].readinessProbe = { tcpSocket: { host: "db.internal", port: 5432 } };
      }),
      expected: [
        `container "web" sets livenessProbe.httpGet.host="10.0.0.1"; remove the host so the kubelet targets the pod's own IP`,
        `container "web" sets readinessProbe.tcpSocket.host="db.internal"; remove the host so the kubelet targets the pod's own IP`,
      ],
    },
    {
      name: "flags lifecycle hook hosts on init containers",
      resource: withInit(web, (init) => (init.lifecycle = { preStop: { httpGet: { host: "metadata.internal", path: "/", port: 80 } } })),
      expected: [`init container "init" sets lifecycle.preStop.httpGet.host="metadata.internal"; remove the host so the kubelet targets the pod's own IP`],
    },
  ],
  "pss-apparmor": [
    {
      name: "allows RuntimeDefault, Localhost and localhost/ annotations",
      resource: modified(web, (props) => {
        props.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "localhost/web-profile" };
        props.spec.template.spec.securityContext.appArmorProfile = { type: "RuntimeDefault" };
        props.spec.template.spec.containers[0].securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "web" };
      }),
      expected: [],
    },
    {
      name: "flags Unconfined at pod and container level",
      resource: withPod(web, (spec) => {
        spec.securityContext.appArmorProfile = { type: "Unconfined" };
        spec.containers[0].securityContext.appArmorProfile = { type: "Unconfined" };
      }),
      expected: [
        'pod sets spec.template.spec.securityContext.appArmorProfile.type="Unconfined"; set it to RuntimeDefault or Localhost',
        'container "web" sets securityContext.appArmorProfile.type="Unconfined"; set it to RuntimeDefault or Localhost',
      ],
    },
    {
      name: "flags an unconfined annotation on the pod template",
      resource: modified(web, (props) => (props.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "unconfined" })),
      expected: ['pod annotation container.apparmor.security.beta.kubernetes.io/web="unconfined" overrides the default AppArmor profile; use runtime/default or localhost/<profile>, or remove it'],
    },
  ],
  "pss-selinux": [
    { name: "allows container_engine_t and a level", resource: withPod(web, (spec) => (spec.securityContext.seLinuxOptions = { type: "container_engine_t", level: "s0:c123,c456" })), expected: [] },
    {
      name: "flags a custom pod type",
      resource: withPod(web, (spec) => (spec.securityContext.seLinuxOptions = { type: "spc_t" })),
      expected: ['pod sets spec.template.spec.securityContext.seLinuxOptions.type="spc_t"; use container_t, container_init_t, container_kvm_t or container_engine_t, or remove it'],
    },
    {
      name: "flags user and role on a container",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.seLinuxOptions = { user: "system_u", role: "system_r" })),
      expected: ['container "web" sets securityContext.seLinuxOptions.user="system_u"; remove it', 'container "web" sets securityContext.seLinuxOptions.role="system_r"; remove it'],
    },
  ],
  "pss-proc-mount": [
    { name: "allows Default", resource: withPod(web, (spec) => (spec.containers[0].securityContext.procMount = "Default")), expected: [] },
    {
      name: "flags Unmasked even in a user namespace",
      resource: withPod(web, (spec) => Object.assign(spec, { hostUsers: false, containers: [{ ...container("web"), securityContext: { ...container("web").securityContext, procMount: "Unmasked" } }] })),
      expected: ['container "web" sets securityContext.procMount="Unmasked"; remove it or set it to Default'],
    },
    {
      name: "flags Unmasked on an init container of a CronJob",
      resource: withInit(backup, (init) => (init.securityContext.procMount = "Unmasked")),
      expected: ['init container "init" sets securityContext.procMount="Unmasked"; remove it or set it to Default'],
    },
  ],
  "pss-seccomp": [
    {
      name: "allows container-level profiles when the pod sets none",
      resource: withInit(
        withPod(web, (spec) => {
          delete spec.securityContext.seccompProfile;
          spec.containers[0].securityContext.seccompProfile = { type: "Localhost", localhostProfile: "web.json" };
        }),
        (init) => (init.securityContext.seccompProfile = { type: "RuntimeDefault" }),
      ),
      expected: [],
    },
    { name: "exempts Windows pods", resource: withPod(web, (spec) => Object.assign(spec, { os: { name: "windows" }, securityContext: { runAsNonRoot: true } })), expected: [] },
    {
      name: "flags a container overriding the pod's profile with Unconfined",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.seccompProfile = { type: "Unconfined" })),
      expected: ['container "web" sets securityContext.seccompProfile.type="Unconfined"; set it to RuntimeDefault or Localhost'],
    },
    {
      name: "flags an init container left without a profile when only the container sets one",
      resource: withInit(
        withPod(web, (spec) => {
          delete spec.securityContext.seccompProfile;
          spec.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
        }),
        () => undefined,
      ),
      expected: ['init container "init" has no seccomp profile; set spec.template.spec.securityContext.seccompProfile.type=RuntimeDefault (or set it on the container)'],
    },
    {
      name: "flags an Unconfined pod profile even when every container sets its own",
      resource: withPod(web, (spec) => {
        spec.securityContext.seccompProfile = { type: "Unconfined" };
        spec.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
      }),
      expected: ['pod sets spec.template.spec.securityContext.seccompProfile.type="Unconfined"; set it to RuntimeDefault or Localhost'],
    },
  ],
  "pss-sysctls": [
    {
      name: "allows the safe sysctls",
      resource: withPod(web, (spec) => (spec.securityContext.sysctls = [{ name: "kernel.shm_rmid_forced", value: "1" }, { name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" }])),
      expected: [],
    },
    {
      name: "flags an unsafe sysctl",
      resource: withPod(web, (spec) => (spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }])),
      expected: ['pod sets sysctl "kernel.msgmax"; remove it from spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)'],
    },
    {
      name: "flags each unsafe sysctl of a CronJob",
      resource: withPod(backup, (spec) => (spec.securityContext.sysctls = [{ name: "net.core.somaxconn", value: "1024" }, { name: "net.ipv4.tcp_syncookies", value: "1" }, { name: "vm.swappiness", value: "0" }])),
      expected: [
        'pod sets sysctl "net.core.somaxconn"; remove it from spec.jobTemplate.spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)',
        'pod sets sysctl "vm.swappiness"; remove it from spec.jobTemplate.spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)',
      ],
    },
  ],
  "pss-privilege-escalation": [
    { name: "exempts Windows pods", resource: withPod(web, (spec) => Object.assign(spec, { os: { name: "windows" }, containers: [{ ...container("web"), securityContext: {} }] })), expected: [] },
    {
      name: "flags an init container that does not set it",
      resource: withInit(web, (init) => delete init.securityContext.allowPrivilegeEscalation),
      expected: ['init container "init" does not set securityContext.allowPrivilegeEscalation; set it to false'],
    },
    {
      name: "flags allowPrivilegeEscalation=true",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.allowPrivilegeEscalation = true)),
      expected: ['container "web" sets securityContext.allowPrivilegeEscalation=true; set it to false'],
    },
  ],
  "pss-run-as-non-root": [
    {
      name: "allows every container setting it when the pod does not",
      resource: withInit(
        withPod(web, (spec) => {
          delete spec.securityContext.runAsNonRoot;
          spec.containers[0].securityContext.runAsNonRoot = true;
        }),
        (init) => (init.securityContext.runAsNonRoot = true),
      ),
      expected: [],
    },
    { name: "exempts pods in a user namespace", resource: withPod(web, (spec) => Object.assign(spec, { hostUsers: false, securityContext: { seccompProfile: { type: "RuntimeDefault" } } })), expected: [] },
    {
      name: "flags a container overriding the pod with false",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.runAsNonRoot = false)),
      expected: ['container "web" sets securityContext.runAsNonRoot=false; set it to true'],
    },
    {
      name: "flags a pod-level false even when containers set true",
      resource: withPod(web, (spec) => {
        spec.securityContext.runAsNonRoot = false;
        spec.containers[0].securityContext.runAsNonRoot = true;
      }),
      expected: ["pod sets spec.template.spec.securityContext.runAsNonRoot=false; set it to true"],
    },
    {
      name: "flags a CronJob container set by neither pod nor container",
      resource: withPod(backup, (spec) => delete spec.securityContext.runAsNonRoot),
      expected: ['container "backup" may run as root; set spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot=true (or set it on the container)'],
    },
  ],
  "pss-run-as-user": [
    { name: "allows an unset UID", resource: withPod(web, (spec) => delete spec.securityContext.runAsUser), expected: [] },
    { name: "exempts pods in a user namespace", resource: withPod(web, (spec) => Object.assign(spec, { hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } })), expected: [] },
    {
      name: "flags UID 0 at pod level even when the container overrides it",
      resource: withPod(web, (spec) => {
        spec.securityContext.runAsUser = 0;
        spec.containers[0].securityContext.runAsUser = 1000;
      }),
      expected: ["pod sets spec.template.spec.securityContext.runAsUser=0; use a non-zero UID"],
    },
    {
      name: "flags UID 0 on an init container",
      resource: withInit(web, (init) => (init.securityContext.runAsUser = 0)),
      expected: ['init container "init" sets securityContext.runAsUser=0; use a non-zero UID'],
    },
  ],
  "pss-windows-host-process": [
    { name: "allows hostProcess false", resource: withPod(web, (spec) => (spec.securityContext.windowsOptions = { hostProcess: false })), expected: [] },
    {
      name: "flags a HostProcess pod",
      resource: withPod(web, (spec) => (spec.securityContext.windowsOptions = { hostProcess: true })),
      expected: ["pod sets spec.template.spec.securityContext.windowsOptions.hostProcess=true; remove it or set it to false"],
    },
    {
      name: "flags a HostProcess container",
      resource: withPod(web, (spec) => (spec.containers[0].securityContext.windowsOptions = { hostProcess: true })),
      expected: ['container "web" sets securityContext.windowsOptions.hostProcess=true; remove it or set it to false'],
    },
  ],
};

describe("Pod Security Standards (restricted) policies", () => {
  for (const [policy, policyCases] of Object.entries(cases)) {
    describe(policy, () => {
      for (const { name, resource, expected } of policyCases) {
        it(name, async () => {
          assert.deepStrictEqual(await messages([resource], policy), expected);
        });
      }
    });
  }

  it("checks every kind that holds a pod", async () => {
    const privilegedSpec = (spec: Json) => (spec.containers[0].securityContext.privileged = true);
    const holders = [
      object("v1", "Pod", "pod", { spec: podSpec("pod") }),
      object("v1", "PodTemplate", "template", { template: { metadata: {}, spec: podSpec("template") } }),
      object("v1", "ReplicationController", "rc", { spec: { template: { metadata: {}, spec: podSpec("rc") } } }),
      ...["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].map((kind) => object("apps/v1", kind, kind.toLowerCase(), { spec: { template: { metadata: {}, spec: podSpec(kind) } } })),
      object("batch/v1", "Job", "job", { spec: { template: { metadata: {}, spec: podSpec("job") } } }),
      cronJob("cron"),
    ];
    const privilegedHolders = holders.map((holder) =>
      modified(holder, (props) => privilegedSpec(props.kind === "PodTemplate" ? props.template.spec : props.kind === "ReplicationController" || props.kind === "Job" ? props.spec.template.spec : pod(props))),
    );
    const flagged = await messages(privilegedHolders, "pss-privileged-containers");
    assert.strictEqual(flagged.length, holders.length);
  });

  it("honours exemptNamespaces", async () => {
    const privileged = withPod(web, (spec) => (spec.containers[0].securityContext.privileged = true));
    assert.deepStrictEqual(await messages([privileged], "pss-privileged-containers", { "pss-privileged-containers": { exemptNamespaces: ["shop"] } }), []);
  });
});
