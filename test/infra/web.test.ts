// The page's tier in every stack: what runs it (the `web` command, restricted, holding nothing secret), how traffic
// reaches it (`/` on the API's host, the active colour's pods), how it scales and how little it may reach.
import assert from "node:assert/strict";
import { parseSettings, PROJECT, type Settings } from "../../infra/config";
import { renderStack, type RenderedStack } from "../../infra/offline/render";
import { loadStackConfig, STACKS } from "../../infra/offline/stackConfig";
import { OPS_PORT, WEB_PORT } from "../../infra/ports";
import { findObject, labelSelectorMatches, objects, objectsOfKind, platformOf, rendered, selects, type K8sObject } from "./helpers";

const COLOUR = "football-prediction/colour";

function stackSettings(stack: string): Settings {
  const { values } = loadStackConfig(stack);
  return parseSettings(stack, (key) => values[`${PROJECT}:${key}`]);
}

function webPod(r: RenderedStack, colour: string): K8sObject {
  return findObject(r, "Deployment", `web-${colour}`).spec.template;
}

/** Path prefix to [Service, port] of every HTTPRoute on the host's HTTPS listener. */
function routes(r: RenderedStack, host: string): Record<string, [string, number]> {
  const httpRoutes = objects(r)
    .map((m) => m.object as K8sObject)
    .filter((o) => o.kind === "HTTPRoute" && o.spec.hostnames.includes(host))
    .filter((o) => o.spec.parentRefs.every((p: K8sObject) => p.name === "edge" && p.sectionName === "https"));
  return Object.fromEntries(
    httpRoutes
      .flatMap((route) => route.spec.rules)
      .map((rule: K8sObject) => {
        assert.equal(rule.matches[0].path.type, "PathPrefix");
        assert.equal(rule.backendRefs.length, 1);
        return [rule.matches[0].path.value, [rule.backendRefs[0].name, rule.backendRefs[0].port]];
      }),
  );
}

/** The response headers an HTTPRoute sets. */
function headersOf(r: RenderedStack, route: string): Record<string, string> {
  const filters = findObject(r, "HTTPRoute", route).spec.rules.flatMap((rule: K8sObject) => rule.filters ?? []);
  const set = filters.filter((f: K8sObject) => f.type === "ResponseHeaderModifier").flatMap((f: K8sObject) => f.responseHeaderModifier.set);
  return Object.fromEntries(set.map((header: K8sObject) => [header.name, header.value]));
}

/** The colour a Service's pods are, checked against the Deployment whose pods it selects. */
function colourBehind(r: RenderedStack, serviceName: string): string {
  const selector = findObject(r, "Service", serviceName).spec.selector;
  const tier = serviceName.replace(/-preview$/, "");
  const chosen = ["blue", "green"].filter((colour) =>
    selects(selector, findObject(r, "Deployment", `${tier}-${colour}`).spec.template.metadata.labels),
  );
  assert.equal(chosen.length, 1, `${serviceName} selects ${chosen.length} colours`);
  return chosen[0];
}

describe("infrastructure: the web tier", function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    describe(stack, () => {
      let r: RenderedStack;
      let settings: Settings;
      before(async () => {
        r = await rendered(stack);
        settings = stackSettings(stack);
      });

      it("runs the image's `web` command on the page's port, probed on the ops port", () => {
        for (const colour of ["blue", "green"]) {
          const [container, ...others] = webPod(r, colour).spec.containers;
          assert.equal(others.length, 0);
          assert.equal(container.image, `${settings.imageRepository}:${settings.image.tag}`);
          assert.deepEqual(container.args, ["web"]);
          assert.deepEqual(container.ports.map((p: K8sObject) => [p.name, p.containerPort]), [["http", WEB_PORT], ["ops", OPS_PORT]]);
          const env = Object.fromEntries(container.env.map((e: K8sObject) => [e.name, e.value]));
          assert.equal(env.PORT, String(WEB_PORT));
          assert.equal(env.OPS_PORT, String(OPS_PORT));
          assert.equal(env.APP_ENV, stack);
          assert.equal(container.readinessProbe.httpGet.path, "/ready");
          for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
            assert.equal(container[probe].httpGet.port, "ops", probe);
          }
          assert.deepEqual(container.resources, settings.web.resources);
        }
      });

      it("holds nothing secret: no Secret reference, no ConfigMap of the API's, no token", () => {
        const template = webPod(r, "blue");
        const text = JSON.stringify(template);
        assert.doesNotMatch(text, /secretKeyRef|secretRef|"secret"/, "the page's pods reference a Secret");
        const container = template.spec.containers[0];
        assert.equal(container.envFrom, undefined, "the API's ConfigMap carries settings the page has no use for");
        const names = container.env.map((e: K8sObject) => e.name);
        for (const name of ["DATABASE_URL", "REDIS_URL", "RATE_LIMIT_REDIS_URL", "JWT_SECRET"]) {
          assert.ok(!names.includes(name), `${name} is set on the page's pods`);
        }
        assert.equal(template.spec.automountServiceAccountToken, false);
        assert.equal(template.spec.serviceAccountName, "web", "a ServiceAccount of its own");
      });

      it("runs restricted with a read-only root filesystem", () => {
        const { spec } = webPod(r, "green");
        assert.equal(spec.securityContext.runAsNonRoot, true);
        assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
        const security = spec.containers[0].securityContext;
        assert.equal(security.readOnlyRootFilesystem, true);
        assert.equal(security.allowPrivilegeEscalation, false);
        assert.equal(security.privileged, false);
        assert.deepEqual(security.capabilities.drop, ["ALL"]);
        assert.deepEqual(spec.containers[0].volumeMounts.map((m: K8sObject) => m.mountPath), ["/tmp"]);
        assert.ok(spec.volumes.every((v: K8sObject) => v.emptyDir !== undefined));
      });

      it("routes / to the page and /api to the API of the active colour, on one host and one certificate", () => {
        const active = settings.blueGreen.active;
        assert.deepEqual(routes(r, settings.ingress.host), { "/": [`web-${active}`, WEB_PORT], "/api": [`api-${active}`, 8000] });
        assert.equal(findObject(r, "Service", `web-${active}`).spec.selector[COLOUR], active);
        assert.equal(findObject(r, "Gateway", "edge").spec.listeners.filter((l: K8sObject) => l.protocol === "HTTPS").length, 1);
        assert.deepEqual(findObject(r, "Service", "web").spec.ports.map((p: K8sObject) => [p.name, p.port, p.targetPort]), [
          ["http", WEB_PORT, "http"],
        ]);
      });

      it("leaves the page's Content-Security-Policy to the page, and keeps the API's at the edge", () => {
        const page = headersOf(r, "web");
        assert.equal(page["Content-Security-Policy"], undefined, "the edge would replace the page's own policy");
        assert.equal(page["X-Content-Type-Options"], "nosniff");
        assert.match(page["Strict-Transport-Security"], /max-age=\d+/);
        assert.match(headersOf(r, "api")["Content-Security-Policy"], /default-src 'none'/);
      });

      it("puts the page of the active colour behind `web` and the idle one behind `web-preview`", () => {
        assert.equal(colourBehind(r, "web"), settings.blueGreen.active);
        assert.equal(colourBehind(r, "web-preview"), colourBehind(r, "api-preview"));
        assert.equal(colourBehind(r, "web"), colourBehind(r, "api"));
      });

      it("autoscales each colour on CPU within the stack's bounds, one pod down at a time", () => {
        for (const colour of ["blue", "green"]) {
          const name = `web-${colour}`;
          const hpa = findObject(r, "HorizontalPodAutoscaler", name);
          assert.equal(hpa.spec.scaleTargetRef.name, name);
          assert.equal(hpa.spec.minReplicas, settings.web.minReplicas);
          assert.equal(hpa.spec.maxReplicas, settings.web.maxReplicas);
          assert.deepEqual(
            hpa.spec.metrics.map((m: K8sObject) => [m.resource.name, m.resource.target.averageUtilization]),
            [["cpu", settings.web.cpuUtilization]],
          );
          assert.equal(findObject(r, "Deployment", name).spec.replicas, undefined, "the HPA owns the replica count");
          const pdb = findObject(r, "PodDisruptionBudget", name);
          assert.equal(pdb.spec.maxUnavailable, 1);
          assert.ok(selects(pdb.spec.selector.matchLabels, webPod(r, colour).metadata.labels));
          assert.equal(pdb.spec.selector.matchLabels[COLOUR], colour, "one budget per colour");
        }
      });

      it("lets in its Gateway's Envoy pods on the page's port and Prometheus on the ops port, and lets nothing out", async () => {
        const labels = webPod(r, "blue").metadata.labels;
        const policies = objectsOfKind(r, "NetworkPolicy")
          .filter((o) => o.metadata.namespace === settings.namespace)
          .filter((o) => labelSelectorMatches(o.spec.podSelector, labels));
        assert.deepEqual(policies.map((p) => p.metadata.name).sort(), ["allow-web", "default-deny-all"]);
        const allow = findObject(r, "NetworkPolicy", "allow-web");
        assert.deepEqual(allow.spec.policyTypes, ["Ingress"]);
        const ingress = allow.spec.ingress.map((rule: K8sObject) => [
          rule.from[0].namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? rule.from[0].podSelector.matchLabels["app.kubernetes.io/name"],
          rule.from[0].namespaceSelector === undefined ? undefined : rule.from[0].podSelector?.matchLabels,
          rule.ports.map((p: K8sObject) => p.port),
        ]);
        const { monitoring: cluster } = await platformOf(stack);
        const monitoring = settings.monitoring.enabled ? [[cluster.namespace, cluster.prometheusPodLabels, [OPS_PORT]]] : [];
        // Only this stack's own Gateway's proxies, which Envoy Gateway runs in its namespace.
        const proxies = {
          "gateway.envoyproxy.io/owning-gateway-namespace": settings.namespace,
          "gateway.envoyproxy.io/owning-gateway-name": "edge",
        };
        assert.deepEqual(ingress, [["envoy-gateway-system", proxies, [WEB_PORT]], ...monitoring]);
        const egressing = policies.filter((p) => (p.spec.egress ?? []).length > 0);
        assert.deepEqual(egressing, [], "no policy opens egress, DNS included");
      });

      if (stack !== "dev") {
        it("is scraped like the API, under the service's job, on the ops port", () => {
          const monitor = objectsOfKind(r, "PodMonitor").find((o) => labelSelectorMatches(o.spec.selector, webPod(r, "blue").metadata.labels));
          assert.ok(monitor, "a PodMonitor selects the page's pods");
          const [endpoint] = monitor.spec.podMetricsEndpoints;
          const port = webPod(r, "blue").spec.containers[0].ports.find((p: K8sObject) => p.name === endpoint.port);
          assert.equal(port?.containerPort, OPS_PORT);
          const job = endpoint.relabelings.find((relabel: K8sObject) => relabel.targetLabel === "job");
          assert.equal(job.replacement, "football-prediction");
        });
      }
    });
  }

  it("switches with the API and stages a release on the idle colour", async () => {
    const switched = await renderStack("dev", { "blueGreen.active": "green", "blueGreen.tags.green": "0.2.0" });
    assert.equal(colourBehind(switched, "web"), "green");
    assert.equal(colourBehind(switched, "web-preview"), "blue");
    assert.match(webPod(switched, "green").spec.containers[0].image, /:0\.2\.0$/);
    assert.match(webPod(switched, "blue").spec.containers[0].image, /:0\.1\.0$/);
    assert.equal(colourBehind(switched, "api"), "green");
  });
});
