// The controls the Restricted level adds or tightens, each against the PSA checks it follows at the policy
// versions they register (older versions fall back to the baseline check the restricted one overrides), plus
// what every control shares: all kinds that hold a pod, the namespace exemption and the `version` setting.
import * as assert from "assert";
import { resolvePolicyConfig } from "../../policy/runner";
import { bare, cronJob, deployment, itReports, messages, modified, object, pod, podSpec, withInit, withPod } from "./fixtures";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const web = deployment("web");
const backup = cronJob("backup");
const windows = (spec: Json) => (spec.os = { name: "windows" });

describe("Pod Security Standards, restricted controls", () => {
  describe("pss-volume-types follows PSA restrictedVolumes (1.0, overriding hostPathVolumes)", () => {
    const allowed = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];
    const suggestion = "use a configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volume instead";
    itReports("pss-volume-types", [
      { name: "allows the nine restricted volume types", resources: [withPod(web, (spec) => (spec.volumes = allowed.map((source) => ({ name: source, [source]: {} }))))], expected: [] },
      { name: "v1.25: allows an image volume too (PSA amended its only revision)", config: { version: "v1.25" }, resources: [withPod(web, (spec) => (spec.volumes = [{ name: "model", image: { reference: "ghcr.io/acme/model:1" } }]))], expected: [] },
      { name: "allows a volume without a source, which the API server defaults to emptyDir", resources: [withPod(backup, (spec) => (spec.volumes = [{ name: "scratch" }]))], expected: [] },
      {
        name: "flags hostPath and nfs volumes",
        resources: [withPod(web, (spec) => (spec.volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }, { name: "share", nfs: { server: "nfs", path: "/" } }]))],
        expected: [`volume "docker" uses hostPath; ${suggestion}`, `volume "share" uses nfs; ${suggestion}`],
      },
      { name: "v1.0: flags hostPath", config: { version: "v1.0" }, resources: [bare((spec) => (spec.volumes = [{ name: "root", hostPath: { path: "/" } }]))], expected: [`volume "root" uses hostPath; ${suggestion}`] },
    ]);
  });

  describe("pss-capabilities follows PSA capabilities_baseline (1.0) and capabilities_restricted (1.22, 1.25)", () => {
    const keepsAll = withPod(web, (spec) => (spec.containers[0].securityContext.capabilities = { add: ["CHOWN"] }));
    const windowsAddingSysAdmin = withPod(web, (spec) => {
      windows(spec);
      spec.containers[0].securityContext = { capabilities: { add: ["SYS_ADMIN"] } };
    });
    itReports("pss-capabilities", [
      { name: "allows adding NET_BIND_SERVICE after dropping ALL", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"]))], expected: [] },
      {
        name: "flags a container that keeps capabilities and adds SYS_ADMIN",
        resources: [withPod(web, (spec) => (spec.containers[0].securityContext.capabilities = { add: ["SYS_ADMIN", "NET_BIND_SERVICE", "NET_RAW"] }))],
        expected: [
          'container "web" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
          'container "web" adds "SYS_ADMIN", "NET_RAW" in securityContext.capabilities.add; remove them (only NET_BIND_SERVICE may be added)',
        ],
      },
      {
        name: "requires the exact value ALL and checks init containers without a securityContext",
        resources: [withInit(withPod(web, (spec) => (spec.containers[0].securityContext.capabilities.drop = ["all"])), (init) => delete init.securityContext)],
        expected: [
          'init container "init" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
          'container "web" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]',
        ],
      },
      { name: "latest: exempts Windows pods", resources: [windowsAddingSysAdmin], expected: [] },
      {
        name: "v1.24: checks Windows pods (the exemption starts at 1.25)",
        config: { version: "v1.24" },
        resources: [windowsAddingSysAdmin],
        expected: ['container "web" does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"]', 'container "web" adds "SYS_ADMIN" in securityContext.capabilities.add; remove it (only NET_BIND_SERVICE may be added)'],
      },
      { name: "v1.21: allows keeping the defaults and adding CHOWN (baseline only before 1.22)", config: { version: "v1.21" }, resources: [keepsAll], expected: [] },
      {
        name: "v1.21: flags adding NET_RAW, which is not a default capability",
        config: { version: "v1.21" },
        resources: [withPod(web, (spec) => (spec.containers[0].securityContext.capabilities = { add: ["NET_RAW"] }))],
        expected: [`container "web" adds "NET_RAW" in securityContext.capabilities.add; remove it (only the runtime's default capabilities may be added)`],
      },
    ]);
  });

  describe("pss-seccomp follows PSA seccompProfile_baseline (1.0 annotations) and seccompProfile_restricted (1.19, 1.25)", () => {
    const noProfile = withPod(web, (spec) => delete spec.securityContext.seccompProfile);
    itReports("pss-seccomp", [
      {
        name: "allows container-level profiles when the pod sets none",
        resources: [
          withInit(
            withPod(web, (spec) => {
              delete spec.securityContext.seccompProfile;
              spec.containers[0].securityContext.seccompProfile = { type: "Localhost", localhostProfile: "web.json" };
            }),
            (init) => (init.securityContext.seccompProfile = { type: "RuntimeDefault" }),
          ),
        ],
        expected: [],
      },
      { name: "latest: exempts Windows pods", resources: [withPod(noProfile, windows)], expected: [] },
      { name: "v1.24: checks Windows pods", config: { version: "v1.24" }, resources: [withPod(noProfile, windows)], expected: ['container "web" has no seccomp profile; set spec.template.spec.securityContext.seccompProfile.type=RuntimeDefault (or set it on the container)'] },
      { name: "flags a container overriding the pod's profile with Unconfined", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.seccompProfile = { type: "Unconfined" }))], expected: ['container "web" sets securityContext.seccompProfile.type="Unconfined"; set it to RuntimeDefault or Localhost'] },
      {
        name: "flags an init container left without a profile when only the container sets one",
        resources: [withInit(withPod(web, (spec) => {
          delete spec.securityContext.seccompProfile;
          spec.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
        }), () => undefined)],
        expected: ['init container "init" has no seccomp profile; set spec.template.spec.securityContext.seccompProfile.type=RuntimeDefault (or set it on the container)'],
      },
      {
        name: "flags an Unconfined pod profile even when every container sets its own",
        resources: [withPod(web, (spec) => {
          spec.securityContext.seccompProfile = { type: "Unconfined" };
          spec.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
        })],
        expected: ['pod sets spec.template.spec.securityContext.seccompProfile.type="Unconfined"; set it to RuntimeDefault or Localhost'],
      },
      { name: "v1.18: allows a pod without any profile (fields are checked from 1.19)", config: { version: "v1.18" }, resources: [noProfile], expected: [] },
      {
        name: "v1.18: flags an unconfined seccomp annotation, allows runtime/default and localhost/",
        config: { version: "v1.18" },
        resources: [modified(noProfile, (props) => (props.spec.template.metadata.annotations = { "seccomp.security.alpha.kubernetes.io/pod": "unconfined", "container.seccomp.security.alpha.kubernetes.io/web": "localhost/web.json" }))],
        expected: ['pod annotation seccomp.security.alpha.kubernetes.io/pod="unconfined" disables seccomp; use runtime/default or localhost/<profile>'],
      },
    ]);
  });

  describe("pss-privilege-escalation follows PSA allowPrivilegeEscalation (1.8, 1.25)", () => {
    const windowsUnset = withPod(web, (spec) => {
      windows(spec);
      spec.containers[0].securityContext = {};
    });
    itReports("pss-privilege-escalation", [
      { name: "allows allowPrivilegeEscalation=false on every container", resources: [withInit(web, () => undefined)], expected: [] },
      { name: "latest: exempts Windows pods", resources: [windowsUnset], expected: [] },
      { name: "v1.24: checks Windows pods", config: { version: "v1.24" }, resources: [windowsUnset], expected: ['container "web" does not set securityContext.allowPrivilegeEscalation; set it to false'] },
      { name: "v1.7: does not check (the field came in 1.8)", config: { version: "v1.7" }, resources: [windowsUnset], expected: [] },
      { name: "flags an init container that does not set it", resources: [withInit(web, (init) => delete init.securityContext.allowPrivilegeEscalation)], expected: ['init container "init" does not set securityContext.allowPrivilegeEscalation; set it to false'] },
      { name: "flags allowPrivilegeEscalation=true", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.allowPrivilegeEscalation = true))], expected: ['container "web" sets securityContext.allowPrivilegeEscalation=true; set it to false'] },
    ]);
  });

  describe("pss-run-as-non-root follows PSA runAsNonRoot (1.0, 1.35)", () => {
    const userNamespace = withPod(web, (spec) => Object.assign(spec, { hostUsers: false, securityContext: { seccompProfile: { type: "RuntimeDefault" } } }));
    itReports("pss-run-as-non-root", [
      {
        name: "allows every container setting it when the pod does not",
        resources: [withInit(withPod(web, (spec) => {
          delete spec.securityContext.runAsNonRoot;
          spec.containers[0].securityContext.runAsNonRoot = true;
        }), (init) => (init.securityContext.runAsNonRoot = true))],
        expected: [],
      },
      { name: "latest: exempts pods in a user namespace", resources: [userNamespace], expected: [] },
      { name: "v1.34: checks pods in a user namespace (relaxed from 1.35)", config: { version: "v1.34" }, resources: [userNamespace], expected: ['container "web" may run as root; set spec.template.spec.securityContext.runAsNonRoot=true (or set it on the container)'] },
      { name: "flags a container overriding the pod with false", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.runAsNonRoot = false))], expected: ['container "web" sets securityContext.runAsNonRoot=false; set it to true'] },
      {
        name: "flags a pod-level false even when containers set true",
        resources: [withPod(web, (spec) => {
          spec.securityContext.runAsNonRoot = false;
          spec.containers[0].securityContext.runAsNonRoot = true;
        })],
        expected: ["pod sets spec.template.spec.securityContext.runAsNonRoot=false; set it to true"],
      },
      { name: "flags a CronJob container set by neither pod nor container", resources: [withPod(backup, (spec) => delete spec.securityContext.runAsNonRoot)], expected: ['container "backup" may run as root; set spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot=true (or set it on the container)'] },
    ]);
  });

  describe("pss-run-as-user follows PSA runAsUser (1.23, 1.35)", () => {
    const rootInUserNamespace = withPod(web, (spec) => Object.assign(spec, { hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } }));
    itReports("pss-run-as-user", [
      { name: "allows an unset UID", resources: [withPod(web, (spec) => delete spec.securityContext.runAsUser)], expected: [] },
      { name: "latest: exempts pods in a user namespace", resources: [rootInUserNamespace], expected: [] },
      { name: "v1.34: checks pods in a user namespace", config: { version: "v1.34" }, resources: [rootInUserNamespace], expected: ["pod sets spec.template.spec.securityContext.runAsUser=0; use a non-zero UID"] },
      { name: "v1.22: does not check the UID (the check starts at 1.23)", config: { version: "v1.22" }, resources: [withPod(web, (spec) => (spec.securityContext.runAsUser = 0))], expected: [] },
      {
        name: "flags UID 0 at pod level even when the container overrides it",
        resources: [withPod(web, (spec) => {
          spec.securityContext.runAsUser = 0;
          spec.containers[0].securityContext.runAsUser = 1000;
        })],
        expected: ["pod sets spec.template.spec.securityContext.runAsUser=0; use a non-zero UID"],
      },
      { name: "flags UID 0 on an init container", resources: [withInit(web, (init) => (init.securityContext.runAsUser = 0))], expected: ['init container "init" sets securityContext.runAsUser=0; use a non-zero UID'] },
    ]);
  });

  describe("pss-cgroup-options follows PSA cgroupOptions_restricted (1.38)", () => {
    const writable = withPod(web, (spec) => (spec.containers[0].securityContext.cgroupOptions = { mountMode: "Writable" }));
    itReports("pss-cgroup-options", [
      { name: "allows ReadOnly", resources: [withPod(web, (spec) => (spec.containers[0].securityContext.cgroupOptions = { mountMode: "ReadOnly" }))], expected: [] },
      { name: "latest: flags a writable cgroup mount", resources: [writable], expected: ['container "web" sets securityContext.cgroupOptions.mountMode="Writable"; remove it or set it to ReadOnly'] },
      { name: "v1.37: does not check it yet", config: { version: "v1.37" }, resources: [writable], expected: [] },
    ]);
  });

  it("checks every kind that holds a pod", async () => {
    const holders = [
      object("v1", "Pod", "pod", { spec: podSpec("pod") }),
      object("v1", "PodTemplate", "template", { template: { metadata: {}, spec: podSpec("template") } }),
      object("v1", "ReplicationController", "rc", { spec: { template: { metadata: {}, spec: podSpec("rc") } } }),
      ...["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].map((kind) => object("apps/v1", kind, kind.toLowerCase(), { spec: { template: { metadata: {}, spec: podSpec(kind) } } })),
      object("batch/v1", "Job", "job", { spec: { template: { metadata: {}, spec: podSpec("job") } } }),
      cronJob("cron"),
    ];
    const privilegedHolders = holders.map((holder) =>
      modified(holder, (props) => {
        const spec = props.kind === "PodTemplate" ? props.template.spec : props.kind === "ReplicationController" || props.kind === "Job" ? props.spec.template.spec : pod(props);
        spec.containers[0].securityContext.privileged = true;
      }),
    );
    assert.strictEqual((await messages(privilegedHolders, "pss-privileged-containers")).length, holders.length);
  });

  it("honours exemptNamespaces", async () => {
    const privileged = withPod(web, (spec) => (spec.containers[0].securityContext.privileged = true));
    assert.deepStrictEqual(await messages([privileged], "pss-privileged-containers", { "pss-privileged-containers": { exemptNamespaces: ["shop"] } }), []);
  });

  it("takes a version as PSA's enforce-version label does, clamping future versions to the newest", async () => {
    const unsafe = withPod(web, (spec) => (spec.securityContext.sysctls = [{ name: "net.ipv4.tcp_notsent_lowat", value: "16384" }]));
    assert.deepStrictEqual(await messages([unsafe], "pss-sysctls", { "pss-sysctls": { version: "v1.99" } }), []);
    assert.throws(() => resolvePolicyConfig({ "pss-sysctls": { version: "1.36" } }), /pss-sysctls: version: Does not match pattern/);
    assert.throws(() => resolvePolicyConfig({ "pss-seccomp": { version: "v2.0" } }), /pss-seccomp: version: Does not match pattern/);
  });
});
