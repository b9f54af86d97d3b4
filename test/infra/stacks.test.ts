import assert from "node:assert/strict";
import { stringify } from "yaml";
import { validateKubernetesObject } from "../../infra/offline/schema";
import { validateWithModel } from "../../validate/models";
import type { RenderedStack } from "../../infra/offline/render";
import { STACKS } from "../../infra/offline/stackConfig";
import {
  containersOf,
  baseName,
  envOf,
  findObject,
  objectKey,
  objects,
  podTemplates,
  rendered,
  selects,
  type K8sObject,
} from "./helpers";

type Stack = (typeof STACKS)[number];

/** What each stack file is meant to say; the tests hold the rendered objects to it. */
interface Expected {
  host: string;
  logLevel: string;
  hpa: { min: number; max: number; cpu: number; memory: number };
  apiRequests: { cpu: string; memory: string };
  poolMax: string;
  postgresStorage: string;
  /** CloudNativePG instances. */
  instances: number;
  /** WAL archiving and base backups to S3 (and the logical dumps' off-site copies). */
  objectStore: boolean;
  redisMaxmemory: string;
  issuer: "selfSigned" | "acmeStaging" | "acmeProduction";
  monitoring: boolean;
  /** The platform's cluster ships logs, so the namespace carries the shipping labels. */
  logShipping: boolean;
  backupSchedule: string;
  keepDaily: string;
}

/** The dashboards' ConfigMaps, one per dashboard infra/observability renders. */
const MONITORING_DASHBOARDS = ["dashboard-service", "dashboard-datastores", "dashboard-backups"];
/** One PodMonitor per scrape job (none of the targets is behind a Service of its own). */
const MONITORING_POD_MONITORS = ["football-prediction", "postgres-exporter", "redis-exporter", "cloudnative-pg", "pgbouncer"];

const expectations: Record<Stack, Expected> = {
  dev: {
    host: "dev.fp.local",
    logLevel: "debug",
    hpa: { min: 1, max: 2, cpu: 80, memory: 85 },
    apiRequests: { cpu: "100m", memory: "192Mi" },
    poolMax: "10",
    postgresStorage: "2Gi",
    instances: 1,
    objectStore: false,
    redisMaxmemory: "64mb",
    issuer: "selfSigned",
    monitoring: false,
    logShipping: true,
    backupSchedule: "0 3 * * *",
    keepDaily: "3",
  },
  test: {
    host: "test.fp.local",
    logLevel: "info",
    hpa: { min: 1, max: 3, cpu: 75, memory: 80 },
    apiRequests: { cpu: "100m", memory: "192Mi" },
    poolMax: "10",
    postgresStorage: "5Gi",
    instances: 1,
    objectStore: false,
    redisMaxmemory: "64mb",
    issuer: "selfSigned",
    monitoring: true,
    logShipping: true,
    backupSchedule: "0 3 * * *",
    keepDaily: "3",
  },
  staging: {
    host: "staging.fp.local",
    logLevel: "info",
    hpa: { min: 2, max: 4, cpu: 70, memory: 80 },
    apiRequests: { cpu: "250m", memory: "256Mi" },
    poolMax: "10",
    postgresStorage: "20Gi",
    instances: 2,
    objectStore: true,
    redisMaxmemory: "128mb",
    issuer: "acmeStaging",
    monitoring: true,
    logShipping: true,
    backupSchedule: "15 2 * * *",
    keepDaily: "7",
  },
  prod: {
    host: "api.fp.com",
    logLevel: "info",
    hpa: { min: 3, max: 10, cpu: 70, memory: 80 },
    apiRequests: { cpu: "500m", memory: "384Mi" },
    poolMax: "20",
    postgresStorage: "50Gi",
    instances: 3,
    objectStore: true,
    redisMaxmemory: "512mb",
    issuer: "acmeProduction",
    monitoring: true,
    logShipping: true,
    backupSchedule: "15 1 * * *",
    keepDaily: "14",
  },
};

function expectedObjects(stack: Stack, e: Expected): string[] {
  const ns = `football-prediction-${stack}`;
  const inNs = (kind: string, names: string[], namespace = ns) => names.map((n) => `${kind} ${namespace}/${n}`);
  return [
    `Namespace -/${ns}`,
    ...inNs("ResourceQuota", ["compute-and-storage"]),
    ...inNs("LimitRange", ["container-defaults"]),
    ...inNs("NetworkPolicy", [
      "default-deny-all",
      "allow-dns",
      "allow-api",
      "allow-web",
      "allow-worker",
      "allow-migration",
      "allow-backup",
      "allow-importer",
      "allow-postgres",
      "allow-pooler",
      "allow-redis",
      "allow-rate-limit-redis",
      ...(e.issuer !== "selfSigned" ? ["allow-acme-http01-solver"] : []),
      ...(e.monitoring
        ? [
            "allow-postgres-exporter",
            "allow-redis-exporter",
          ]
        : []),
    ]),
    ...inNs("Secret", [
      "postgres-role-app",
      "postgres-role-migration",
      "postgres-role-monitor",
      "postgres-role-backup",
      "redis-credentials",
      "api-credentials",
      "backup-credentials",
      "migration-credentials",
      ...(e.objectStore ? ["backup-s3-credentials"] : []),
      ...(e.monitoring ? ["alertmanager-receivers"] : []),
    ]),
    ...inNs("ServiceAccount", [
      "redis",
      "redis-rate-limits",
      "football-prediction",
      "web",
      "backup",
      "importer",
      ...(e.monitoring ? ["postgres-exporter", "redis-exporter"] : []),
    ]),
    ...inNs("ConfigMap", [
      "api-config",
      ...(e.monitoring ? MONITORING_DASHBOARDS : []),
    ]),
    ...inNs("Service", [
      "redis",
      "redis-headless",
      "redis-rate-limits",
      "redis-rate-limits-headless",
      "api",
      "api-preview",
      "api-blue",
      "api-green",
      "web",
      "web-preview",
      "web-blue",
      "web-green",
      ...(e.monitoring ? ["postgres-exporter", "redis-exporter"] : []),
    ]),
    ...inNs("StatefulSet", ["redis", "redis-rate-limits"]),
    ...inNs("Deployment", [
      "api-blue",
      "api-green",
      "web-blue",
      "web-green",
      "worker",
      ...(e.monitoring ? ["postgres-exporter", "redis-exporter"] : []),
    ]),
    ...inNs("Cluster", ["postgres"]),
    ...inNs("Pooler", ["postgres-pooler-rw"]),
    ...(e.objectStore ? [...inNs("ObjectStore", ["postgres-object-store"]), ...inNs("ScheduledBackup", ["postgres-daily"])] : []),
    ...inNs("HorizontalPodAutoscaler", ["api-blue", "api-green", "web-blue", "web-green"]),
    ...inNs("PodDisruptionBudget", ["api-blue", "api-green", "web-blue", "web-green"]),
    ...inNs("Job", ["migrate-0-1-0", "restore-verify-0-1-0"]),
    ...inNs("CronJob", ["backup", "backup-prune", "backup-verify", "import"]),
    ...inNs("PersistentVolumeClaim", ["backups"]),
    // The edge (infra/components/edge.ts); cert-manager makes the host's Certificate from the Gateway itself.
    ...inNs("Gateway", ["edge"]),
    ...inNs("HTTPRoute", ["http-redirect", "api", "web"]),
    ...inNs("BackendTrafficPolicy", ["api", "web"]),
    // The stack's part of the cluster's monitoring (infra/components/monitoring.ts).
    ...(e.monitoring
      ? [
          ...inNs("PrometheusRule", ["football-prediction"]),
          ...inNs("AlertmanagerConfig", ["football-prediction"]),
          ...inNs("PodMonitor", MONITORING_POD_MONITORS),
        ]
      : []),
    // The pull-request previews' identity (infra/components/previewAccess.ts).
    ...inNs("ServiceAccount", ["pulumi-preview"]),
    ...inNs("Secret", ["pulumi-preview-token"]),
    ...inNs("Role", [`${ns}-pulumi-preview`]),
    ...inNs("RoleBinding", [`${ns}-pulumi-preview`]),
    `ClusterRole -/${ns}-pulumi-preview`,
    `ClusterRoleBinding -/${ns}-pulumi-preview`,
  ].sort();
}

const RECOMMENDED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

const QUANTITY_UNITS: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function quantity(value: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(value ?? 0));
  assert.ok(match && match[2] in QUANTITY_UNITS, `${value} is not a quantity`);
  return Number(match[1]) * QUANTITY_UNITS[match[2]];
}

type Usage = Record<"requests.cpu" | "requests.memory" | "limits.cpu" | "limits.memory", number>;

/** What one pod counts against a quota: its containers together, or its largest init container if that is more. */
function podUsage(spec: K8sObject): Usage {
  const of = (containers: K8sObject[], field: keyof Usage) =>
    containers.map((c) => quantity(c.resources[field.split(".")[0]][field.split(".")[1]]));
  const usage = {} as Usage;
  for (const field of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const) {
    const main = of(spec.containers, field).reduce((a, b) => a + b, 0);
    usage[field] = Math.max(main, ...of(spec.initContainers ?? [], field));
  }
  return usage;
}

/** Env names whose values are credentials: they must come from a Secret. */
const SECRET_LOOKING_ENV = /PASSWORD|SECRET|TOKEN|_KEY$|DATABASE_URL|REDIS_URL|DATA_SOURCE_(NAME|PASS)|CLI_AUTH/;

describe("infrastructure: the four stacks rendered from their own config files", function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    const e = expectations[stack];
    const ns = `football-prediction-${stack}`;

    describe(stack, () => {
      let r: RenderedStack;
      before(async () => {
        r = await rendered(stack);
      });

      it("builds exactly the expected Kubernetes objects", () => {
        // ConfigMaps and Secrets are named after their content; their names are compared without the digest.
        const keys = objects(r).map((m) => {
          const o = m.object as K8sObject;
          return ["ConfigMap", "Secret"].includes(o.kind) ? objectKey({ ...o, metadata: { ...o.metadata, name: baseName(o.metadata.name) } }) : objectKey(o);
        });
        assert.deepEqual(keys.sort(), expectedObjects(stack, e));
      });

      it("puts everything in its namespace, with restricted Pod Security enforced", () => {
        const namespace = findObject(r, "Namespace", ns);
        assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(r.outputs.namespace, ns);
      });

      it("serves its host over TLS from the stack's issuer, and plain HTTP only as a redirect", () => {
        const gateway = findObject(r, "Gateway", "edge");
        // The platform stack's ClusterIssuer (platform/outputs.ts): the environment creates none of its own.
        const issuerName = { selfSigned: "selfsigned", acmeStaging: "letsencrypt-staging", acmeProduction: "letsencrypt-production" }[e.issuer];
        assert.equal(gateway.metadata.annotations["cert-manager.io/cluster-issuer"], issuerName);
        assert.deepEqual(
          gateway.spec.listeners.map((l: K8sObject) => [l.name, l.protocol, l.port, l.hostname, l.tls?.certificateRefs?.[0]?.name]),
          [["https", "HTTPS", 443, e.host, "edge-tls"], ["http", "HTTP", 80, e.host, undefined]],
        );
        const onHttp = objects(r)
          .map((m) => m.object as K8sObject)
          .filter((o) => o.kind === "HTTPRoute" && o.spec.parentRefs.some((p: K8sObject) => p.sectionName === "http"));
        assert.deepEqual(onHttp.map((o) => o.metadata.name), ["http-redirect"]);
        assert.deepEqual(onHttp[0].spec.rules, [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]);
        assert.ok(!objects(r).some((m) => m.object.kind === "ClusterIssuer"));
        assert.equal(r.outputs.serviceUrl, `https://${e.host}`);
      });

      it("limits each client at the edge to the service's own rate, and request bodies per route", () => {
        for (const [route, body] of [["api", "1Mi"], ["web", "1Ki"]]) {
          const policy = findObject(r, "BackendTrafficPolicy", route);
          assert.deepEqual(policy.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route }]);
          assert.equal(policy.spec.requestBuffer.limit, body);
          const rules = policy.spec.rateLimit.local.rules;
          assert.deepEqual(rules.map((rule: K8sObject) => rule.clientSelectors[0].sourceCIDR), [
            { type: "Distinct", value: "0.0.0.0/0" },
            { type: "Distinct", value: "::/0" },
          ]);
          for (const rule of rules) {
            assert.deepEqual(rule.limit, { requests: Number(findObject(r, "ConfigMap", "api-config").data.RATE_LIMIT_PER_MINUTE), unit: "Minute" });
          }
          assert.deepEqual(validateWithModel(policy), [], `BackendTrafficPolicy ${route} by Envoy Gateway's typed model`);
        }
      });

      it("routes /api to the API (web.test.ts: / to the page); probes and the scrape use the ops port, which no Service carries (finding 6)", () => {
        const route = findObject(r, "HTTPRoute", "api");
        assert.deepEqual(
          route.spec.rules.map((rule: K8sObject) => [rule.matches[0].path, rule.backendRefs.map((b: K8sObject) => [b.name, b.port])]),
          [[{ type: "PathPrefix", value: "/api" }, [["api-blue", 8000]]]],
        );
        for (const name of ["api", "api-preview", "api-blue", "api-green"]) {
          assert.deepEqual(findObject(r, "Service", name).spec.ports.map((p: K8sObject) => p.port), [8000]);
        }
        const api = findObject(r, "Deployment", "api-blue").spec.template.spec.containers[0];
        assert.deepEqual(api.ports.map((p: K8sObject) => [p.name, p.containerPort]), [["http", 8000], ["ops", 8001]]);
        const worker = findObject(r, "Deployment", "worker").spec.template.spec.containers[0];
        assert.deepEqual(worker.ports.map((p: K8sObject) => [p.name, p.containerPort]), [["ops", 8001]]);
        for (const container of [api, worker]) {
          for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
            assert.equal(container[probe].httpGet.port, "ops", `${container.name} ${probe}`);
          }
        }
        assert.equal(findObject(r, "ConfigMap", "api-config").data.OPS_PORT, "8001");
      });

      it("trusts forwarded addresses from the gateway's Envoy pods only (finding 1)", () => {
        const config = findObject(r, "ConfigMap", "api-config").data;
        assert.equal(config.TRUSTED_PROXIES, stack === "dev" || stack === "test" ? "10.244.0.0/16" : "10.0.0.0/8");
      });

      it("keeps the rate limiter's counters in a Redis of their own that never evicts (finding 4)", () => {
        const counters = findObject(r, "StatefulSet", "redis-rate-limits").spec.template.spec.containers[0].args.join(" ");
        assert.match(counters, /--maxmemory-policy noeviction/);
        assert.match(counters, /--appendonly no/);
        const api = findObject(r, "Deployment", "api-blue").spec.template.spec.containers[0];
        assert.ok(envOf(api, "RATE_LIMIT_REDIS_URL")?.valueFrom?.secretKeyRef, "RATE_LIMIT_REDIS_URL comes from a Secret");
        const allowed = findObject(r, "NetworkPolicy", "allow-rate-limit-redis").spec.ingress;
        assert.deepEqual(
          allowed.map((rule: K8sObject) => rule.from[0].podSelector.matchLabels["app.kubernetes.io/component"]),
          ["api"],
        );
      });

      it("lets the migration Job's seed announce its writes on Redis, as the importer does", () => {
        const component = (peer: K8sObject) => peer.podSelector?.matchLabels["app.kubernetes.io/component"];
        const egress = findObject(r, "NetworkPolicy", "allow-migration").spec.egress as K8sObject[];
        assert.ok(
          egress.some((rule) => rule.to.some((peer: K8sObject) => component(peer) === "cache") && rule.ports[0].port === 6379),
          "the migration Job may reach Redis",
        );
        const ingress = findObject(r, "NetworkPolicy", "allow-redis").spec.ingress as K8sObject[];
        assert.ok(ingress.some((rule) => rule.from.some((peer: K8sObject) => component(peer) === "migration")), "Redis admits it");
      });

      it("runs the pinned image, never latest", () => {
        const images = podTemplates(r).flatMap((t) => containersOf(t.spec).map((c) => String(c.image)));
        for (const image of images) {
          assert.match(image, /:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, `${image} has no tag`);
          assert.doesNotMatch(image, /:latest$/, `${image} is not pinned`);
        }
        const api = findObject(r, "Deployment", "api-blue");
        assert.equal(api.spec.template.spec.containers[0].image, "ghcr.io/football-prediction/service:0.1.0");
      });

      it("autoscales and sizes the API per stack", () => {
        for (const colour of ["blue", "green"]) {
          const hpa = findObject(r, "HorizontalPodAutoscaler", `api-${colour}`);
          assert.equal(hpa.spec.minReplicas, e.hpa.min);
          assert.equal(hpa.spec.maxReplicas, e.hpa.max);
          const targets = Object.fromEntries(
            hpa.spec.metrics.map((m: K8sObject) => [m.resource.name, m.resource.target.averageUtilization]),
          );
          assert.deepEqual(targets, { cpu: e.hpa.cpu, memory: e.hpa.memory });
          assert.equal(hpa.spec.scaleTargetRef.name, `api-${colour}`);
          const api = findObject(r, "Deployment", `api-${colour}`);
          assert.deepEqual(api.spec.template.spec.containers[0].resources.requests, e.apiRequests);
          assert.equal(api.spec.replicas, undefined, "the HPA owns the replica count");
        }
      });

      it("configures the service per docs/service-interface.md", () => {
        const config = findObject(r, "ConfigMap", "api-config").data;
        assert.equal(config.APP_ENV, stack);
        assert.equal(config.LOG_LEVEL, e.logLevel);
        assert.equal(config.DB_POOL_MAX, e.poolMax);
        assert.equal(config.PORT, "8000");
        const api = findObject(r, "Deployment", "api-blue").spec.template.spec.containers[0];
        for (const name of ["DATABASE_URL", "REDIS_URL", "JWT_SECRET"]) {
          assert.ok(envOf(api, name)?.valueFrom?.secretKeyRef, `${name} comes from a Secret`);
        }
        assert.equal(api.readinessProbe.httpGet.path, "/ready");
        assert.equal(api.livenessProbe.httpGet.path, "/health");
        const worker = findObject(r, "Deployment", "worker").spec;
        assert.equal(worker.replicas, 1);
        assert.deepEqual(worker.template.spec.containers[0].args, ["worker"]);
        assert.ok(!objects(r).some((m) => m.object.kind === "Service" && (m.object as K8sObject).spec.selector["app.kubernetes.io/component"] === "worker"));
      });

      it("runs PostgreSQL as a CloudNativePG Cluster, sized and spread per stack, with no StatefulSet of its own", () => {
        const cluster = findObject(r, "Cluster", "postgres").spec;
        assert.equal(cluster.instances, e.instances);
        assert.equal(cluster.storage.size, e.postgresStorage);
        assert.equal(cluster.enableSuperuserAccess, false);
        assert.equal(cluster.enablePDB, true);
        assert.equal(cluster.affinity.enablePodAntiAffinity, e.instances > 1);
        assert.deepEqual(
          cluster.managed.roles.map((role: K8sObject) => [role.name, baseName(role.passwordSecret.name)]),
          [["app", "postgres-role-app"], ["migrator", "postgres-role-migration"], ["monitor", "postgres-role-monitor"], ["backup", "postgres-role-backup"]],
        );
        for (const role of ["app", "migration", "monitor", "backup"]) {
          assert.equal(findObject(r, "Secret", `postgres-role-${role}`).type, "kubernetes.io/basic-auth");
        }
        assert.equal(cluster.plugins !== undefined, e.objectStore, "WAL is archived exactly where an object store is configured");
        assert.ok(!objects(r).some((m) => m.object.kind === "StatefulSet" && (m.object.metadata as K8sObject).name.startsWith("postgres")));
        const pooler = findObject(r, "Pooler", "postgres-pooler-rw").spec;
        assert.equal(pooler.pgbouncer.poolMode, "transaction");
        assert.equal(pooler.cluster.name, "postgres");
      });

      it("runs Redis with an append-only file, its memory bound and allkeys-lru", () => {
        const args: string[] = findObject(r, "StatefulSet", "redis").spec.template.spec.containers[0].args;
        const flag = (name: string) => args[args.indexOf(name) + 1];
        assert.equal(flag("--appendonly"), "yes");
        assert.equal(flag("--maxmemory"), e.redisMaxmemory);
        assert.equal(flag("--maxmemory-policy"), "allkeys-lru");
        assert.equal(flag("--requirepass"), "$(REDIS_PASSWORD)");
      });

      it("backs up on the stack's schedule with its retention", () => {
        const cron = findObject(r, "CronJob", "backup");
        assert.equal(cron.spec.schedule, e.backupSchedule);
        assert.equal(cron.spec.concurrencyPolicy, "Forbid");
        assert.ok(cron.spec.startingDeadlineSeconds > 0);
        assert.ok(cron.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
        assert.ok(cron.spec.successfulJobsHistoryLimit > 0 && cron.spec.failedJobsHistoryLimit > 0);
        const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
        assert.deepEqual(container.args, ["backup"]);
        assert.equal(envOf(container, "BACKUP_KEEP_DAILY")?.value, e.keepDaily);
        assert.equal(envOf(container, "BACKUP_DIR")?.value, "/backups");
        assert.equal(envOf(container, "PUSHGATEWAY_URL") !== undefined, e.monitoring);
        // The cluster's Pushgateway is shared: each environment's pushes are grouped under its namespace.
        assert.equal(envOf(container, "PUSHGATEWAY_NAMESPACE")?.value, e.monitoring ? `football-prediction-${stack}` : undefined);
        assert.ok(envOf(container, "DATABASE_URL")?.valueFrom?.secretKeyRef);
        assert.deepEqual(findObject(r, "Job", "restore-verify-0-1-0").spec.template.spec.containers[0].args, ["verify"]);
      });

      it("routes the Service and the public routes to the active colour only", () => {
        assert.equal(findObject(r, "Service", "api").spec.selector["football-prediction/colour"], "blue");
        assert.equal(findObject(r, "Service", "api-preview").spec.selector["football-prediction/colour"], "green");
        for (const colour of ["blue", "green"]) {
          assert.equal(findObject(r, "Service", `api-${colour}`).spec.selector["football-prediction/colour"], colour);
        }
        for (const route of ["api", "web"]) {
          assert.deepEqual(findObject(r, "HTTPRoute", route).spec.rules[0].backendRefs.map((b: K8sObject) => b.name), [`${route}-blue`]);
        }
        assert.equal(r.outputs.activeColour, "blue");
      });

      it("turns monitoring on only where configured, and ships logs through the platform's pipeline", () => {
        assert.equal(objects(r).some((m) => (m.object as K8sObject).kind === "PrometheusRule"), e.monitoring);
        assert.ok(!podTemplates(r).some((t) => t.kind === "DaemonSet"), "no log shipper of its own");
        const labels = findObject(r, "Namespace", `football-prediction-${stack}`).metadata.labels;
        assert.equal(labels["logs.football-prediction.io/ship"], e.logShipping ? "true" : undefined);
      });

      it("migrates before any Deployment of that release rolls out", () => {
        const job = r.resources.find((res) => res.type === "kubernetes:batch/v1:Job" && res.name === "migrate-0-1-0");
        assert.ok(job);
        for (const name of ["api-blue", "api-green", "worker"]) {
          const deployment = r.resources.find((res) => res.type === "kubernetes:apps/v1:Deployment" && res.name === name);
          assert.ok(deployment?.dependsOn.includes(job.urn), `${name} depends on the migration Job`);
        }
        const app = r.resources.find((res) => res.type === "football-prediction:infra:App");
        const cluster = r.resources.find((res) => res.type === "kubernetes:postgresql.cnpg.io/v1:Cluster" && res.name === "cluster");
        assert.ok(app?.dependsOn.includes(cluster?.urn ?? ""), "the App waits for PostgreSQL");
      });

      it("keeps every generated secret a Pulumi secret, out of outputs and manifests", () => {
        assert.ok(r.generatedSecrets.length >= 6);
        for (const secret of r.resources.filter((res) => res.type === "kubernetes:core/v1:Secret")) {
          // A ServiceAccount token Secret is filled by the cluster's token controller: the program gives it no data.
          if (secret.inputs.type === "kubernetes.io/service-account-token") {
            assert.equal(secret.inputs.stringData ?? secret.inputs.data, undefined, `${secret.name} carries data`);
            continue;
          }
          assert.ok(secret.secretPaths.includes("stringData"), `${secret.name} data is a Pulumi secret`);
        }
        const outputs = JSON.stringify(r.outputs);
        const manifestText = objects(r).map((m) => stringify(m.object)).join("---\n");
        for (const value of r.generatedSecrets) {
          assert.ok(!outputs.includes(value), "an output holds a generated secret");
          assert.ok(!manifestText.includes(value), "a rendered manifest holds a generated secret");
          assert.ok(r.secretValues.some((v) => v.includes(value)), "a generated secret reached a resource unmarked");
        }
        assert.ok(Object.values(r.outputs.secretNames as Record<string, string>).map(baseName).includes("api-credentials"));
      });

      it("validates every object against the Kubernetes schema", async () => {
        // CloudNativePG's kinds have no kubernetes-models package: .ci/run checks every stack's against the upstream
        // CRDs (`npm run validate -- --crds`).
        // Gateway API's and the Prometheus Operator's kinds likewise (test/observability checks the monitoring specs
        // against the CRDs too); Envoy Gateway's are checked with its typed models (validate/models.ts).
        const operatorGroups = /^((postgresql|barmancloud)\.cnpg\.io|gateway\.networking\.k8s\.io|monitoring\.coreos\.com)\//;
        for (const { object } of objects(r).filter((m) => !operatorGroups.test(String(m.object.apiVersion)))) {
          const problems = validateWithModel(object as Record<string, unknown>) ?? (await validateKubernetesObject(object));
          assert.deepEqual(problems, [], objectKey(object as K8sObject));
        }
      });

      it("labels every object with the recommended app.kubernetes.io labels", () => {
        for (const { object } of objects(r)) {
          const labels = (object as K8sObject).metadata.labels ?? {};
          for (const label of RECOMMENDED_LABELS) {
            assert.ok(labels[label], `${objectKey(object as K8sObject)} lacks ${label}`);
          }
        }
        for (const template of podTemplates(r)) {
          assert.ok(template.labels["app.kubernetes.io/version"], `${template.owner} pods carry their version`);
        }
      });

      it("runs every pod of its namespace restricted, sized and with its own ServiceAccount", () => {
        for (const t of podTemplates(r).filter((p) => p.namespace === ns)) {
          assert.equal(t.spec.securityContext.runAsNonRoot, true, t.owner);
          assert.equal(t.spec.securityContext.seccompProfile.type, "RuntimeDefault", t.owner);
          assert.ok(t.spec.serviceAccountName && t.spec.serviceAccountName !== "default", t.owner);
          // No workload of the stack calls the Kubernetes API.
          assert.equal(t.spec.automountServiceAccountToken, false, t.owner);
          for (const c of containersOf(t.spec)) {
            const where = `${t.owner} ${c.name}`;
            assert.equal(c.securityContext.allowPrivilegeEscalation, false, where);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, where);
            assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], where);
            assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${where} requests`);
            assert.ok(c.resources.limits.cpu && c.resources.limits.memory, `${where} limits`);
            for (const env of c.env ?? []) {
              if (SECRET_LOOKING_ENV.test(env.name)) {
                assert.ok(env.valueFrom?.secretKeyRef, `${where} ${env.name} must come from a Secret`);
              }
            }
          }
          if (["Deployment", "StatefulSet"].includes(t.kind)) {
            for (const c of t.spec.containers) {
              assert.ok(c.readinessProbe && c.livenessProbe, `${t.owner} ${c.name} probes`);
            }
          }
        }
      });

      it("fits in its ResourceQuota with every HPA at its maximum and every Job running", () => {
        const all = objects(r).map((m) => m.object as K8sObject).filter((o) => o.metadata.namespace === ns);
        const hpaMax = new Map(
          all.filter((o) => o.kind === "HorizontalPodAutoscaler").map((o) => [o.spec.scaleTargetRef.name, o.spec.maxReplicas]),
        );
        const total: Usage & { pods: number; claims: number; storage: number } = {
          "requests.cpu": 0,
          "requests.memory": 0,
          "limits.cpu": 0,
          "limits.memory": 0,
          pods: 0,
          claims: 0,
          storage: 0,
        };
        for (const o of all) {
          if (o.kind === "PersistentVolumeClaim") {
            total.claims += 1;
            total.storage += quantity(o.spec.resources.requests.storage);
          }
        }
        for (const t of podTemplates(r).filter((p) => p.namespace === ns)) {
          const object = all.find((o) => objectKey(o) === t.owner) as K8sObject;
          const replicas = hpaMax.get(object.metadata.name) ?? object.spec.replicas ?? 1;
          const usage = podUsage(t.spec);
          for (const field of Object.keys(usage) as Array<keyof Usage>) {
            total[field] += replicas * usage[field];
          }
          total.pods += replicas;
          for (const claim of object.spec.volumeClaimTemplates ?? []) {
            total.claims += replicas;
            total.storage += replicas * quantity(claim.spec.resources.requests.storage);
          }
        }
        const hard = findObject(r, "ResourceQuota", "compute-and-storage").spec.hard;
        for (const field of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const) {
          assert.ok(total[field] <= quantity(hard[field]), `${field}: ${total[field]} > ${hard[field]}`);
        }
        assert.ok(total.pods <= Number(hard.pods), `pods: ${total.pods} > ${hard.pods}`);
        assert.ok(total.claims <= Number(hard.persistentvolumeclaims), `claims: ${total.claims}`);
        assert.ok(total.storage <= quantity(hard["requests.storage"]), `storage: ${total.storage}`);
      });

      it("selects every workload of its namespace with a NetworkPolicy that opens its flows", () => {
        const policies = objects(r)
          .map((m) => m.object as K8sObject)
          .filter((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === ns && o.metadata.name.startsWith("allow-"));
        const defaultDeny = findObject(r, "NetworkPolicy", "default-deny-all", ns);
        assert.deepEqual(defaultDeny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        for (const t of podTemplates(r).filter((p) => p.namespace === ns)) {
          const own = policies.filter((p) => {
            const selector = p.spec.podSelector.matchLabels ?? {};
            return Object.keys(selector).length > 0 && selects(selector, t.labels);
          });
          assert.ok(own.length > 0, `${t.owner} has no NetworkPolicy of its own`);
        }
      });

      it("grants API access only through namespaced Roles with explicit verbs, but for the preview identity's", () => {
        const rbac = objects(r).map((m) => m.object as K8sObject);
        const clusterWide = rbac.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding");
        // The one exception: the preview identity's, by name for the stack's own cluster-scoped objects (previewAccess.test.ts).
        assert.deepEqual(clusterWide.map((o) => o.metadata.name), [`${ns}-pulumi-preview`, `${ns}-pulumi-preview`]);
        for (const rule of clusterWide.find((o) => o.kind === "ClusterRole")?.rules ?? []) {
          assert.ok(rule.resourceNames !== undefined || rule.verbs.every((verb: string) => verb === "create"), JSON.stringify(rule));
        }
        for (const role of rbac.filter((o) => o.kind === "Role")) {
          for (const rule of role.rules) {
            assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"));
          }
        }
      });
    });
  }
});
