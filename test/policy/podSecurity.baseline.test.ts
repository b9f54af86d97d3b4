// The Baseline-level controls of the restricted profile, each against the PSA check it follows
// (k8s.io/pod-security-admission/policy/check_<id>.go) at the policy versions that check registers: for every
// documented reason a pod that passes and one that fails, at `latest` unless the case names a version.
import { bare, container, cronJob, deployment, itReports, modified, withInit, withPod } from "./fixtures";

const web = deployment("web");
const backup = cronJob("backup");

describe("Pod Security Standards, baseline controls", () => {
  describe("pss-host-namespaces follows PSA hostNamespaces (1.0)", () => {
    itReports("pss-host-namespaces", [
      { name: "allows hostNetwork, hostPID and hostIPC set to false", resources: [withPod(web, (spec) => Object.assign(spec, { hostNetwork: false, hostPID: false, hostIPC: false }))], expected: [] },
      { name: "flags hostNetwork on a Deployment", resources: [withPod(web, (spec) => (spec.hostNetwork = true))], expected: ["pod sets spec.template.spec.hostNetwork=true; remove it or set it to false"] },
      {
        name: "flags hostPID and hostIPC in a CronJob's pod template",
        resources: [withPod(backup, (spec) => Object.assign(spec, { hostPID: true, hostIPC: true }))],
        expected: [
          "pod sets spec.jobTemplate.spec.template.spec.hostPID=true; remove it or set it to false",
          "pod sets spec.jobTemplate.spec.template.spec.hostIPC=true; remove it or set it to false",
        ],
      },
      { name: "v1.0: flags hostNetwork on a bare Pod", config: { version: "v1.0" }, resources: [bare((spec) => (spec.hostNetwork = true))], expected: ["pod sets spec.hostNetwork=true; remove it or set it to false"] },
    ]);
  });

  describe("pss-privileged-containers follows PSA privileged (1.0)", () => {
    itReports("pss-privileged-containers", [
      { name: "allows privileged: false", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.privileged = false))], expected: [] },
      { name: "flags a privileged init container", resources: [withInit(web, (init) => (init.securityContext.privileged = true))], expected: ['init container "init" sets securityContext.privileged=true; remove it or set it to false'] },
      {
        name: "flags a privileged ephemeral container",
        resources: [bare((spec) => (spec.ephemeralContainers = [{ ...container("debug"), securityContext: { privileged: true } }]))],
        expected: ['ephemeral container "debug" sets securityContext.privileged=true; remove it or set it to false'],
      },
    ]);
  });

  describe("pss-host-ports follows PSA hostPorts (1.0)", () => {
    itReports("pss-host-ports", [
      { name: "allows hostPort 0 and no hostPort", resources: [withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 8000, hostPort: 0 }, { containerPort: 9000 }]))], expected: [] },
      { name: "flags a host port on a container", resources: [withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 8000, hostPort: 8080 }]))], expected: ['container "web" sets ports[].hostPort=8080; remove hostPort and expose the port through a Service'] },
      { name: "flags a host port on an init container", resources: [withInit(web, (init) => (init.ports = [{ containerPort: 9000, hostPort: 9000 }]))], expected: ['init container "init" sets ports[].hostPort=9000; remove hostPort and expose the port through a Service'] },
    ]);
  });

  describe("pss-host-probes-lifecycle follows PSA hostProbesAndHostLifecycle (1.34)", () => {
    const probeHost = withPod(web, (spec) => {
      spec.containers[0].livenessProbe.httpGet.host = "10.0.0.1";
      spec.containers[0].readinessProbe = { tcpSocket: { host: "db.internal", port: 5432 } };
    });
    itReports("pss-host-probes-lifecycle", [
      { name: "allows an empty host", resources: [withPod(web, (spec) => (spec.containers[0].livenessProbe.httpGet.host = ""))], expected: [] },
      {
        name: "flags probe hosts",
        resources: [probeHost],
        expected: [
          `container "web" sets livenessProbe.httpGet.host="10.0.0.1"; remove the host so the kubelet targets the pod's own IP`,
          `container "web" sets readinessProbe.tcpSocket.host="db.internal"; remove the host so the kubelet targets the pod's own IP`,
        ],
      },
      {
        name: "flags lifecycle hook hosts on init containers",
        resources: [withInit(web, (init) => (init.lifecycle = { preStop: { httpGet: { host: "metadata.internal", path: "/", port: 80 } } }))],
        expected: [`init container "init" sets lifecycle.preStop.httpGet.host="metadata.internal"; remove the host so the kubelet targets the pod's own IP`],
      },
      { name: "v1.33: does not check hosts yet (the check starts at 1.34)", config: { version: "v1.33" }, resources: [probeHost], expected: [] },
    ]);
  });

  describe("pss-apparmor follows PSA appArmorProfile (1.0, fields and annotations at every version)", () => {
    const unconfinedFields = withPod(web, (spec) => {
      spec.securityContext.appArmorProfile = { type: "Unconfined" };
      spec.containers[0].securityContext.appArmorProfile = { type: "Unconfined" };
    });
    itReports("pss-apparmor", [
      {
        name: "allows RuntimeDefault, Localhost and localhost/ annotations",
        resources: [
          modified(web, (props) => {
            props.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "localhost/web-profile" };
            props.spec.template.spec.securityContext.appArmorProfile = { type: "RuntimeDefault" };
            props.spec.template.spec.containers[0].securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "web" };
          }),
        ],
        expected: [],
      },
      {
        name: "flags Unconfined at pod and container level",
        resources: [unconfinedFields],
        expected: [
          'pod sets spec.template.spec.securityContext.appArmorProfile.type="Unconfined"; set it to RuntimeDefault or Localhost',
          'container "web" sets securityContext.appArmorProfile.type="Unconfined"; set it to RuntimeDefault or Localhost',
        ],
      },
      {
        name: "v1.0: still checks the fields (PSA amended its only revision)",
        config: { version: "v1.0" },
        resources: [withPod(web, (spec) => (spec.securityContext.appArmorProfile = { type: "Unconfined" }))],
        expected: ['pod sets spec.template.spec.securityContext.appArmorProfile.type="Unconfined"; set it to RuntimeDefault or Localhost'],
      },
      {
        name: "flags an unconfined annotation on the pod template",
        resources: [modified(web, (props) => (props.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "unconfined" }))],
        expected: ['pod annotation container.apparmor.security.beta.kubernetes.io/web="unconfined" overrides the default AppArmor profile; use runtime/default or localhost/<profile>, or remove it'],
      },
    ]);
  });

  describe("pss-selinux follows PSA seLinuxOptions (1.0, 1.31)", () => {
    const engine = withPod(web, (spec) => (spec.securityContext.seLinuxOptions = { type: "container_engine_t", level: "s0:c123,c456" }));
    itReports("pss-selinux", [
      { name: "latest: allows container_engine_t and a level", resources: [engine], expected: [] },
      {
        name: "v1.30: flags container_engine_t (allowed from 1.31)",
        config: { version: "v1.30" },
        resources: [engine],
        expected: ['pod sets spec.template.spec.securityContext.seLinuxOptions.type="container_engine_t"; use one of "container_t", "container_init_t", "container_kvm_t", or remove it'],
      },
      {
        name: "flags a custom pod type",
        resources: [withPod(web, (spec) => (spec.securityContext.seLinuxOptions = { type: "spc_t" }))],
        expected: ['pod sets spec.template.spec.securityContext.seLinuxOptions.type="spc_t"; use one of "container_t", "container_init_t", "container_kvm_t", "container_engine_t", or remove it'],
      },
      {
        name: "flags user and role on a container",
        resources: [withPod(web, (spec) => (spec.containers[0].securityContext.seLinuxOptions = { user: "system_u", role: "system_r" }))],
        expected: ['container "web" sets securityContext.seLinuxOptions.user="system_u"; remove it', 'container "web" sets securityContext.seLinuxOptions.role="system_r"; remove it'],
      },
    ]);
  });

  describe("pss-proc-mount follows PSA procMount (1.0) and procMount_restricted (1.35)", () => {
    const unmaskedInUserNamespace = withPod(web, (spec) => {
      spec.hostUsers = false;
      spec.containers[0].securityContext.procMount = "Unmasked";
    });
    const message = 'container "web" sets securityContext.procMount="Unmasked"; remove it or set it to Default';
    itReports("pss-proc-mount", [
      { name: "allows Default", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.procMount = "Default"))], expected: [] },
      { name: "latest: flags Unmasked even in a user namespace (the restricted check overrides baseline's relaxation)", resources: [unmaskedInUserNamespace], expected: [message] },
      { name: "v1.34: flags Unmasked in a user namespace (the relaxation sat behind an alpha gate)", config: { version: "v1.34" }, resources: [unmaskedInUserNamespace], expected: [message] },
      {
        name: "flags Unmasked on an init container of a CronJob",
        resources: [withInit(backup, (init) => (init.securityContext.procMount = "Unmasked"))],
        expected: ['init container "init" sets securityContext.procMount="Unmasked"; remove it or set it to Default'],
      },
    ]);
  });

  describe("pss-sysctls follows PSA sysctls (1.0, 1.27, 1.29, 1.32, 1.37)", () => {
    const sysctls = (...names: string[]) => withPod(web, (spec) => (spec.securityContext.sysctls = names.map((name) => ({ name, value: "1" }))));
    const flagged = (name: string) => `pod sets sysctl "${name}"; remove it from spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)`;
    const since137 = sysctls("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat");
    itReports("pss-sysctls", [
      { name: "latest: allows the 1.37 additions tcp_slow_start_after_idle and tcp_notsent_lowat", resources: [since137], expected: [] },
      { name: "v1.37: allows them", config: { version: "v1.37" }, resources: [since137], expected: [] },
      { name: "v1.36: flags them", config: { version: "v1.36" }, resources: [since137], expected: [flagged("net.ipv4.tcp_slow_start_after_idle"), flagged("net.ipv4.tcp_notsent_lowat")] },
      { name: "v1.32: allows tcp_rmem and tcp_wmem", config: { version: "v1.32" }, resources: [sysctls("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")], expected: [] },
      { name: "v1.31: flags tcp_rmem", config: { version: "v1.31" }, resources: [sysctls("net.ipv4.tcp_rmem")], expected: [flagged("net.ipv4.tcp_rmem")] },
      { name: "v1.29: allows the keepalive sysctls", config: { version: "v1.29" }, resources: [sysctls("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout")], expected: [] },
      { name: "v1.28: flags tcp_keepalive_time", config: { version: "v1.28" }, resources: [sysctls("net.ipv4.tcp_keepalive_time")], expected: [flagged("net.ipv4.tcp_keepalive_time")] },
      { name: "v1.27: allows ip_local_reserved_ports", config: { version: "v1.27" }, resources: [sysctls("net.ipv4.ip_local_reserved_ports")], expected: [] },
      { name: "v1.26: flags ip_local_reserved_ports, allows the original five", config: { version: "v1.26" }, resources: [sysctls("kernel.shm_rmid_forced", "net.ipv4.ip_local_reserved_ports")], expected: [flagged("net.ipv4.ip_local_reserved_ports")] },
      {
        name: "flags each unsafe sysctl of a CronJob",
        resources: [withPod(backup, (spec) => (spec.securityContext.sysctls = [{ name: "net.core.somaxconn", value: "1024" }, { name: "net.ipv4.tcp_syncookies", value: "1" }, { name: "vm.swappiness", value: "0" }]))],
        expected: [
          'pod sets sysctl "net.core.somaxconn"; remove it from spec.jobTemplate.spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)',
          'pod sets sysctl "vm.swappiness"; remove it from spec.jobTemplate.spec.template.spec.securityContext.sysctls (only the safe sysctls are allowed)',
        ],
      },
    ]);
  });

  describe("pss-windows-host-process follows PSA windowsHostProcess (1.0)", () => {
    itReports("pss-windows-host-process", [
      { name: "allows hostProcess false", resources: [withPod(web, (spec) => (spec.securityContext.windowsOptions = { hostProcess: false }))], expected: [] },
      { name: "flags a HostProcess pod", resources: [withPod(web, (spec) => (spec.securityContext.windowsOptions = { hostProcess: true }))], expected: ["pod sets spec.template.spec.securityContext.windowsOptions.hostProcess=true; remove it or set it to false"] },
      {
        name: "flags a HostProcess container",
        resources: [withPod(web, (spec) => (spec.containers[0].securityContext.windowsOptions = { hostProcess: true }))],
        expected: ['container "web" sets securityContext.windowsOptions.hostProcess=true; remove it or set it to false'],
      },
    ]);
  });

  describe("pss-ulimits follows PSA ulimits (1.37)", () => {
    const withUlimits = withInit(web, (init) => (init.securityContext.ulimits = [{ name: "nofile", soft: 1024, hard: 2048 }]));
    itReports("pss-ulimits", [
      { name: "allows containers without ulimits", resources: [web], expected: [] },
      { name: "latest: flags ulimits on an init container", resources: [withUlimits], expected: ['init container "init" sets securityContext.ulimits; remove it'] },
      { name: "v1.36: does not check ulimits yet", config: { version: "v1.36" }, resources: [withUlimits], expected: [] },
    ]);
  });
});
