import * as assert from "assert";
import { compliantStack, cronJob, deployment, itReports, messages, object, podSpec, serviceAccount, withInit, withPod } from "./fixtures";

const web = deployment("web");
const backup = cronJob("backup");

describe("workload hygiene policies", () => {
  it("pass a compliant Deployment, CronJob and their surroundings", async () => {
    assert.deepStrictEqual(await messages(compliantStack(web, backup), "container-resources"), []);
  });

  describe("container-resources", () => {
    it("ignores ephemeral containers, which cannot set resources", async () => {
      const spec = { ...podSpec("tool"), ephemeralContainers: [{ name: "debug", image: "busybox:1.36" }] };
      assert.deepStrictEqual(await messages([object("v1", "Pod", "tool", { spec })], "container-resources"), []);
    });

    it("flags missing limits", async () => {
      const resource = withPod(web, (spec) => delete spec.containers[0].resources.limits);
      assert.deepStrictEqual(await messages([resource], "container-resources"), [
        'container "web" does not set resources.limits.cpu, resources.limits.memory; set CPU and memory requests and limits',
      ]);
    });

    it("flags an init container without resources in a CronJob", async () => {
      const resource = withInit(backup, (init) => delete init.resources);
      assert.deepStrictEqual(await messages([resource], "container-resources"), [
        'init container "init" does not set resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory; set CPU and memory requests and limits',
      ]);
    });
  });

  describe("container-probes", () => {
    it("does not ask run-to-completion Jobs, CronJobs or init containers for probes", async () => {
      const job = withPod(backup, (spec) => {
        delete spec.containers[0].livenessProbe;
        delete spec.containers[0].readinessProbe;
      });
      const init = withInit(web, (container) => {
        delete container.livenessProbe;
        delete container.readinessProbe;
      });
      assert.deepStrictEqual(await messages([job, init], "container-probes"), []);
    });

    it("flags a Deployment container without a readinessProbe", async () => {
      const resource = withPod(web, (spec) => delete spec.containers[0].readinessProbe);
      assert.deepStrictEqual(await messages([resource], "container-probes"), ['container "web" has no readinessProbe; add it']);
    });

    it("flags a sidecar init container and a bare Pod's container without probes", async () => {
      const sidecar = withInit(web, (init) => {
        init.restartPolicy = "Always";
        delete init.livenessProbe;
        delete init.readinessProbe;
      });
      const spec = podSpec("tool");
      delete spec.containers[0].livenessProbe;
      assert.deepStrictEqual(await messages([sidecar, object("v1", "Pod", "tool", { spec })], "container-probes"), [
        'init container "init" has no livenessProbe or readinessProbe; add both',
        'container "tool" has no livenessProbe; add it',
      ]);
    });
  });

  describe("read-only-root-filesystem", () => {
    it("allows a read-only root filesystem", async () => {
      assert.deepStrictEqual(await messages([web, backup], "read-only-root-filesystem"), []);
    });

    it("flags readOnlyRootFilesystem=false", async () => {
      const resource = withPod(web, (spec) => (spec.containers[0].securityContext.readOnlyRootFilesystem = false));
      assert.deepStrictEqual(await messages([resource], "read-only-root-filesystem"), ['container "web" sets securityContext.readOnlyRootFilesystem=false; set it to true and mount an emptyDir where it writes']);
    });

    it("flags an init container that does not set it", async () => {
      const resource = withInit(web, (init) => delete init.securityContext.readOnlyRootFilesystem);
      assert.deepStrictEqual(await messages([resource], "read-only-root-filesystem"), [
        'init container "init" does not set securityContext.readOnlyRootFilesystem; set it to true and mount an emptyDir where it writes',
      ]);
    });
  });

  describe("no-default-service-account", () => {
    it("allows a dedicated ServiceAccount", async () => {
      assert.deepStrictEqual(await messages([web], "no-default-service-account"), []);
    });

    it("flags a pod without serviceAccountName", async () => {
      const resource = withPod(web, (spec) => delete spec.serviceAccountName);
      assert.deepStrictEqual(await messages([resource], "no-default-service-account"), ['pod runs as the "default" ServiceAccount; create a dedicated ServiceAccount and set spec.template.spec.serviceAccountName']);
    });

    it("flags a CronJob naming the default ServiceAccount", async () => {
      const resource = withPod(backup, (spec) => (spec.serviceAccountName = "default"));
      assert.deepStrictEqual(await messages([resource], "no-default-service-account"), [
        'pod runs as the "default" ServiceAccount; create a dedicated ServiceAccount and set spec.jobTemplate.spec.template.spec.serviceAccountName',
      ]);
    });
  });

  describe("service-account-token-automount", () => {
    it("allows a ServiceAccount that disables automount, and listed API clients", async () => {
      const fromAccount = withPod(web, (spec) => delete spec.automountServiceAccountToken);
      const operator = withPod(deployment("operator"), (spec) => (spec.automountServiceAccountToken = true));
      const config = { "service-account-token-automount": { apiAccessServiceAccounts: ["shop/operator"] } };
      assert.deepStrictEqual(await messages([fromAccount, serviceAccount("web", false), operator], "service-account-token-automount", config), []);
    });

    it("flags a pod whose ServiceAccount does not disable automount", async () => {
      const resource = withPod(web, (spec) => delete spec.automountServiceAccountToken);
      assert.deepStrictEqual(await messages([resource, serviceAccount("web")], "service-account-token-automount"), [
        'Deployment "web" mounts the token of ServiceAccount shop/web; set spec.template.spec.automountServiceAccountToken=false, or list "shop/web" in apiAccessServiceAccounts if it calls the Kubernetes API',
      ]);
    });

    it("flags a pod that turns automount back on over its ServiceAccount", async () => {
      const resource = withPod(backup, (spec) => (spec.automountServiceAccountToken = true));
      const violations = (await messages([resource, serviceAccount("backup", false)], "service-account-token-automount"));
      assert.deepStrictEqual(violations, [
        'CronJob "backup" mounts the token of ServiceAccount shop/backup; set spec.jobTemplate.spec.template.spec.automountServiceAccountToken=false, or list "shop/backup" in apiAccessServiceAccounts if it calls the Kubernetes API',
      ]);
    });
  });

  describe("probe-ports", () => {
    itReports("probe-ports", [
      { name: "allows probes on a declared port number or name, and exec probes", resources: [withPod(web, (spec) => {
        spec.containers[0].ports = [{ name: "http", containerPort: 8000 }];
        spec.containers[0].readinessProbe = { httpGet: { path: "/ready", port: "http" } };
        spec.containers[0].startupProbe = { exec: { command: ["true"] } };
      })], expected: [] },
      {
        name: "flags a probe on an undeclared port number, and one on an undeclared port name",
        resources: [withPod(web, (spec) => {
          spec.containers[0].livenessProbe = { tcpSocket: { port: 9000 } };
          spec.containers[0].readinessProbe = { httpGet: { path: "/ready", port: "metrics" } };
        })],
        expected: [
          'container "web" livenessProbe targets port 9000 (livenessProbe.tcpSocket.port), which the container does not declare; add it to ports or probe a declared port',
          'container "web" readinessProbe targets named port "metrics" (readinessProbe.httpGet.port), which the container does not declare; add it to ports or probe a declared port',
        ],
      },
      {
        name: "flags a sidecar's gRPC startup probe on a container without ports",
        resources: [withInit(web, (init) => {
          init.restartPolicy = "Always";
          delete init.ports;
          init.startupProbe = { grpc: { port: 9090 } };
        })],
        expected: [
          'init container "init" livenessProbe targets port 8000 (livenessProbe.httpGet.port), which the container does not declare; add it to ports or probe a declared port',
          'init container "init" readinessProbe targets port 8000 (readinessProbe.httpGet.port), which the container does not declare; add it to ports or probe a declared port',
          'init container "init" startupProbe targets port 9090 (startupProbe.grpc.port), which the container does not declare; add it to ports or probe a declared port',
        ],
      },
    ]);
  });

  describe("container-ports", () => {
    itReports("container-ports", [
      { name: "allows ports from 1024 up", resources: [withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 1024 }, { containerPort: 8080 }]))], expected: [] },
      {
        name: "flags a privileged port and the SSH port",
        resources: [withPod(web, (spec) => (spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 22, protocol: "TCP" }]))],
        expected: [
          'container "web" declares privileged port 80; listen on a port of 1024 or above and map it in the Service',
          'container "web" declares port 22, the SSH port; remove the SSH server (use kubectl debug) or move the service off port 22',
        ],
      },
    ]);
  });

  describe("env-var-unique", () => {
    itReports("env-var-unique", [
      { name: "allows distinct names", resources: [withPod(web, (spec) => (spec.containers[0].env = [{ name: "A", value: "1" }, { name: "B", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]))], expected: [] },
      {
        name: "flags a name set twice, by value and by reference, in an init container",
        resources: [withInit(web, (init) => (init.env = [{ name: "LOG_LEVEL", value: "info" }, { name: "PORT", value: "1" }, { name: "LOG_LEVEL", valueFrom: { configMapKeyRef: { name: "c", key: "k" } } }]))],
        expected: ['init container "init" sets env LOG_LEVEL 2 times (env[0], env[2]); keep one'],
      },
    ]);
  });

  describe("run-as-group", () => {
    itReports("run-as-group", [
      { name: "allows a non-zero or unset GID", resources: [withPod(web, (spec) => (spec.securityContext.runAsGroup = 10001))], expected: [] },
      {
        name: "flags GID 0 on the pod and on an init container",
        resources: [withInit(withPod(web, (spec) => (spec.securityContext.runAsGroup = 0)), (init) => (init.securityContext.runAsGroup = 0))],
        expected: ["pod sets spec.template.spec.securityContext.runAsGroup=0; use a non-zero GID", 'init container "init" sets securityContext.runAsGroup=0; use a non-zero GID'],
      },
      { name: "honours exemptNamespaces", config: { exemptNamespaces: ["shop"] }, resources: [withPod(web, (spec) => (spec.securityContext.runAsGroup = 0))], expected: [] },
    ]);
  });

  describe("priority-class", () => {
    const unset = withPod(web, (spec) => delete spec.priorityClassName);
    itReports("priority-class", [
      { name: "allows a serving pod with a class, and Jobs without one", resources: [web, withPod(backup, (spec) => delete spec.priorityClassName)], expected: [] },
      { name: "flags a Deployment without a class", resources: [unset], expected: ["pod sets no spec.template.spec.priorityClassName; name the PriorityClass of serving workloads"] },
      { name: "names the allowed classes", config: { allowedPriorityClasses: ["prod-serving"] }, resources: [unset], expected: ['pod sets no spec.template.spec.priorityClassName; name the PriorityClass of serving workloads ("prod-serving")'] },
      { name: "flags a class outside allowedPriorityClasses", config: { allowedPriorityClasses: ["prod-serving"] }, resources: [web], expected: ['pod uses PriorityClass "serving", which is not one of "prod-serving"; use one of them'] },
    ]);
  });
});
