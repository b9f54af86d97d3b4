import * as assert from "assert";
import type { StackResource } from "../../policy/runner";
import { compliantStack, container, cronJob, deployment, messages, modified, object, pod, podSpec, serviceAccount } from "./fixtures";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const web = deployment("web");
const backup = cronJob("backup");

function withPod(resource: StackResource, change: (spec: Json) => void): StackResource {
  return modified(resource, (props) => change(pod(props)));
}

function withInit(resource: StackResource, change: (init: Json) => void): StackResource {
  return withPod(resource, (spec) => {
    const init = container("init");
    change(init);
    spec.initContainers = [init];
  });
}

function configMap(data: Record<string, string>): StackResource {
  return object("v1", "ConfigMap", "settings", { data });
}

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

  describe("image-tag-pinned", () => {
    it("allows version tags, registry ports and digests", async () => {
      const resource = withPod(web, (spec) => {
        spec.containers[0].image = "registry.local:5000/acme/web:2.0.1";
        spec.initContainers = [{ ...container("init"), image: "ghcr.io/acme/migrate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }];
      });
      assert.deepStrictEqual(await messages([resource], "image-tag-pinned"), []);
    });

    it("flags the latest tag", async () => {
      const resource = withPod(web, (spec) => (spec.containers[0].image = "ghcr.io/acme/web:latest"));
      assert.deepStrictEqual(await messages([resource], "image-tag-pinned"), ['container "web" image "ghcr.io/acme/web:latest" uses the latest tag; pin a version tag or a digest (@sha256:…)']);
    });

    it("flags a missing tag on a registry with a port, in an init container", async () => {
      const resource = withInit(backup, (init) => (init.image = "registry.local:5000/acme/migrate"));
      assert.deepStrictEqual(await messages([resource], "image-tag-pinned"), [
        'init container "init" image "registry.local:5000/acme/migrate" has no tag; pin a version tag (migrate:<version>) or a digest (@sha256:…)',
      ]);
    });
  });

  describe("image-registry-allowed", () => {
    const config = { "image-registry-allowed": { allowedRegistries: ["ghcr.io/football-prediction"] } };

    it("allows images from an allowed registry, and anything when none is configured", async () => {
      assert.deepStrictEqual(await messages([web], "image-registry-allowed", config), []);
      const hub = withPod(web, (spec) => (spec.containers[0].image = "nginx:1.27"));
      assert.deepStrictEqual(await messages([hub], "image-registry-allowed"), []);
    });

    it("flags a Docker Hub image", async () => {
      const resource = withPod(web, (spec) => (spec.containers[0].image = "nginx:1.27"));
      assert.deepStrictEqual(await messages([resource], "image-registry-allowed", config), ['container "web" image "nginx:1.27" is not from an allowed registry; use an image from "ghcr.io/football-prediction"']);
    });

    it("flags a look-alike organisation", async () => {
      const resource = withPod(web, (spec) => (spec.containers[0].image = "ghcr.io/football-prediction-mirror/service:1.4.2"));
      assert.deepStrictEqual(await messages([resource], "image-registry-allowed", config), [
        'container "web" image "ghcr.io/football-prediction-mirror/service:1.4.2" is not from an allowed registry; use an image from "ghcr.io/football-prediction"',
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

  describe("no-literal-secrets", () => {
    it("allows secretKeyRef, file paths, non-secret names and placeholders", async () => {
      const resource = withPod(web, (spec) => {
        spec.containers[0].env = [
          { name: "JWT_SECRET", valueFrom: { secretKeyRef: { name: "api", key: "jwt" } } },
          { name: "JWT_SECRET_FILE", value: "/var/run/secrets/jwt" },
          { name: "TOKEN_TTL_SECONDS", value: "3600" },
          { name: "DATABASE_URL", value: "postgres://app:$(DB_PASSWORD)@postgres:5432/app" },
          { name: "DB_PASSWORD", value: "" },
        ];
      });
      assert.deepStrictEqual(await messages([resource, configMap({ LOG_LEVEL: "info", "prometheus.yml": "scrape_interval: 30s" })], "no-literal-secrets"), []);
    });

    it("flags secret env values in containers and init containers", async () => {
      const resource = withInit(
        withPod(web, (spec) => (spec.containers[0].env = [{ name: "dbPassword", value: "hunter2" }])),
        (init) => (init.env = [{ name: "DATABASE_URL", value: "postgres://app:s3cret@postgres:5432/app" }]),
      );
      assert.deepStrictEqual(await messages([resource], "no-literal-secrets"), [
        'init container "init" sets env DATABASE_URL to a literal value that looks like a secret (it embeds a password in a URL); store it in a Secret and use valueFrom.secretKeyRef',
        'container "web" sets env dbPassword to a literal value that looks like a secret (its name marks it as a secret); store it in a Secret and use valueFrom.secretKeyRef',
      ]);
    });

    it("flags secrets in ConfigMaps unless the key is allowed", async () => {
      const data = { "backup.s3.secret-access-key": "abc", "aws.conf": "key = AKIAABCDEFGHIJKLMNOP", PASSWORD_MIN_LENGTH: "12" };
      assert.deepStrictEqual(await messages([configMap(data)], "no-literal-secrets", { "no-literal-secrets": { allowedKeys: ["PASSWORD_MIN_LENGTH"] } }), [
        'ConfigMap key "backup.s3.secret-access-key" looks like a secret (its name marks it as a secret); move it to a Secret and reference it with secretKeyRef',
        'ConfigMap key "aws.conf" looks like a secret (it contains an AWS access key); move it to a Secret and reference it with secretKeyRef',
      ]);
    });
  });

  describe("cronjob-limits", () => {
    it("allows a bounded CronJob", async () => {
      assert.deepStrictEqual(await messages([backup], "cronjob-limits"), []);
    });

    it("flags concurrencyPolicy Allow", async () => {
      const resource = modified(backup, (props) => (props.spec.concurrencyPolicy = "Allow"));
      assert.deepStrictEqual(await messages([resource], "cronjob-limits"), ["CronJob sets spec.concurrencyPolicy=Allow; set it to Forbid (or Replace) so runs cannot overlap"]);
    });

    it("flags every missing bound", async () => {
      const resource = modified(backup, (props) => {
        for (const field of ["concurrencyPolicy", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
          delete props.spec[field];
        }
        delete props.spec.jobTemplate.spec.activeDeadlineSeconds;
      });
      assert.deepStrictEqual(await messages([resource], "cronjob-limits"), [
        "CronJob does not set spec.concurrencyPolicy; set it to Forbid (or Replace) so runs cannot overlap",
        "CronJob does not set spec.startingDeadlineSeconds; set it so a run that cannot start on time is skipped",
        "CronJob does not set spec.jobTemplate.spec.activeDeadlineSeconds; set it so a hung run is stopped",
        "CronJob does not set spec.successfulJobsHistoryLimit; set it to bound the finished Jobs kept",
        "CronJob does not set spec.failedJobsHistoryLimit; set it to bound the finished Jobs kept",
      ]);
    });
  });
});
