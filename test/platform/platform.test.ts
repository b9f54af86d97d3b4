import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import type { RenderedResource, RenderedStack } from "../../infra/offline/render";
import { previewReport } from "../../infra/offline/summary";
import { charts, type ChartPin } from "../../platform/charts";
import { ALERTMANAGER_BASE_CONFIG } from "../../platform/components/alertmanagerBase";
import { ISSUER_NAMES } from "../../platform/components/certManager";
import { GRAFANA_ADMIN_SECRET, NODE_EXPORTER_NAMESPACE } from "../../platform/components/monitoring";
import { PUSHGATEWAY } from "../../platform/components/pushgateway";
import { PlatformConfigError } from "../../platform/config";
import { checkPlatformPolicies, PLATFORM_STACKS, renderPlatformStack } from "../../platform/offline";
import { LOG_PIPELINE, MONITORING, parsePlatformOutputs, PLATFORM_OUTPUT_NAMES, PlatformOutputsError } from "../../platform/outputs";
import { isEmptySelector, selectorMatches } from "../../policy/lib/k8s";
import { hasMandatoryViolations } from "../../policy/runner";
import { REPO_ROOT } from "../support/processes";

const renders = new Map<string, Promise<RenderedStack>>();
function rendered(stack: string): Promise<RenderedStack> {
  let render = renders.get(stack);
  if (render === undefined) {
    render = renderPlatformStack(stack);
    renders.set(stack, render);
  }
  return render;
}

function releases(stack: RenderedStack): RenderedResource[] {
  return stack.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
}

function releaseOf(stack: RenderedStack, chart: ChartPin): RenderedResource {
  const found = releases(stack).filter((r) => r.inputs.chart === chart.chart);
  assert.equal(found.length, 1, `${stack.stack}: one release of ${chart.chart}`);
  return found[0];
}

/** Every `{ repository, tag }` (and `registry`) image reference in a values tree, as `registry/repository:tag`. */
function imagesIn(values: unknown, into: string[] = []): string[] {
  if (Array.isArray(values)) {
    values.forEach((v) => imagesIn(v, into));
  } else if (values !== null && typeof values === "object") {
    const record = values as Record<string, unknown>;
    if (typeof record.repository === "string" && "tag" in record) {
      into.push(`${record.registry === undefined ? "" : `${String(record.registry)}/`}${record.repository}:${String(record.tag)}`);
    }
    // Charts and objects that take the whole reference (Envoy Gateway's `global.images.*.image`, a container).
    if (typeof record.image === "string") {
      into.push(record.image);
    }
    Object.values(record).forEach((v) => imagesIn(v, into));
  }
  return into;
}

const EXACT_VERSION = /^v?\d+\.\d+\.\d+$/;

describe("platform project", function () {
  this.timeout(120_000);

  for (const stack of PLATFORM_STACKS) {
    describe(`stack ${stack}`, () => {
      it("renders, and its outputs match the contract the environment stacks read", async () => {
        const platform = await rendered(stack);
        assert.deepEqual(Object.keys(platform.outputs).sort(), [...PLATFORM_OUTPUT_NAMES].sort());
        const outputs = parsePlatformOutputs(stack, platform.outputs);
        assert.equal(outputs.issuers.selfSigned, ISSUER_NAMES.selfSigned);
        assert.equal(outputs.operators.cloudnativePg.version, charts.cloudnativePg.appVersion);
        assert.equal(outputs.operators.barmanCloud.namespace, outputs.operators.cloudnativePg.namespace);
        assert.deepEqual(platform.secretOutputs, []);
      });

      it("creates a ClusterIssuer for every issuer name it exports, and no other", async () => {
        const platform = await rendered(stack);
        const issuers = platform.resources.filter((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer");
        const exported = Object.values(parsePlatformOutputs(stack, platform.outputs).issuers).sort();
        assert.deepEqual(issuers.map((r) => (r.inputs.metadata as { name: string }).name).sort(), exported);
        for (const issuer of issuers) {
          assert.ok(issuer.dependsOn.includes(releaseOf(platform, charts.certManager).urn), "an issuer waits for cert-manager");
        }
      });

      it("installs every release from the chart table, pinned: exact chart version and every image tag", async () => {
        const platform = await rendered(stack);
        for (const release of releases(platform)) {
          const pin = Object.values(charts).find((c: ChartPin) => c.chart === release.inputs.chart) as ChartPin | undefined;
          assert.ok(pin !== undefined, `${String(release.inputs.chart)} is not in platform/charts.ts`);
          assert.match(pin.version, EXACT_VERSION);
          assert.equal(release.inputs.version, pin.version);
          assert.deepEqual(release.inputs.repositoryOpts, { repo: pin.repository });
          assert.equal(release.inputs.namespace, pin.namespace);
          assert.equal(release.inputs.name, pin.release);
          assert.equal(release.inputs.atomic, true);
          // Envoy Gateway's data-plane image is not a chart value: the EnvoyProxy the GatewayClass names pins it.
          const proxies = pin.chart === charts.envoyGateway.chart
            ? platform.resources.filter((r) => r.type === "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
            : [];
          const images = [...imagesIn(release.inputs.values), ...proxies.flatMap((proxy) => imagesIn(proxy.inputs.spec))];
          const pinned = Object.values(pin.images).map((i) => `${i.registry}/${i.repository}:${i.tag}`);
          assert.deepEqual(
            [...images].sort(),
            pinned.sort(),
            `${pin.chart}: the values set exactly the table's images`,
          );
          for (const image of images) assert.match(image, /:(distroless-)?v?\d+\.\d+\.\d+$/, `${image} is pinned to a release`);
        }
      });

      it("sets values that pass each chart's own values.schema.json", async () => {
        const platform = await rendered(stack);
        const ajv = new Ajv({ strict: false, allErrors: true });
        for (const pin of Object.values(charts) as ChartPin[]) {
          if (pin.valuesSchema === undefined) continue;
          const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, "platform", "charts", pin.valuesSchema), "utf8"));
          delete schema.$schema;
          const validate = ajv.compile(schema);
          const values = releaseOf(platform, pin).inputs.values;
          assert.ok(validate(values), `${pin.chart}: ${ajv.errorsText(validate.errors)}`);
        }
      });

      it("passes the policy pack with its policy config", async () => {
        const report = await checkPlatformPolicies(await rendered(stack));
        assert.ok(!hasMandatoryViolations(report), JSON.stringify(report.violations, null, 2));
        assert.deepEqual(report.violations, []);
      });
    });
  }

  it("previews each Helm release as one resource with its chart, version, repository and values", async () => {
    const report = previewReport(await rendered("prod"), 0);
    assert.match(report, /^Previewing update \(prod\) of football-prediction-platform offline: mock runtime, platform\/stacks\/Pulumi\.prod\.yaml/);
    assert.match(report, /^ \+ {3}│ {2}[├└]─ kubernetes:helm\.sh\/v3:Release +cert-manager$/m);
    assert.ok(report.includes(`    cert-manager: cert-manager ${charts.certManager.version} from ${charts.certManager.repository} in namespace cert-manager`));
    assert.match(report, /^ {6}values:\n {8}acmesolver:$/m);
    assert.match(report, /^ {4}kubernetes:helm\.sh\/v3:Release +7$/m);
  });

  it("ships the logs of labelled namespaces only, to the index their label names", async () => {
    const nonprod = await rendered("nonprod");
    const config = (releaseOf(nonprod, charts.fluentBit).inputs.values as { config: Record<string, string> }).config;
    assert.match(config.filters, new RegExp(`Namespace_Labels +On`));
    assert.match(config.filters, /K8S-Logging\.Exclude +On/);
    assert.ok(config.filters.includes(`Regex  $kubernetes_namespace['labels']['${LOG_PIPELINE.shipLabel}'] ^true$`));
    assert.ok(config.outputs.includes(`Logstash_Prefix_Key  $kubernetes_namespace['labels']['${LOG_PIPELINE.indexLabel}']`));
    const local = await rendered("local");
    assert.equal(releases(local).filter((r) => r.inputs.chart === charts.fluentBit.chart).length, 0, "kind has no Elasticsearch");
  });

  it("runs two operator replicas with disruption budgets in prod, one without in local", async () => {
    const certValues = async (stack: string) => releaseOf(await rendered(stack), charts.certManager).inputs.values as Record<string, unknown>;
    assert.deepEqual([(await certValues("prod")).replicaCount, (await certValues("prod")).podDisruptionBudget], [2, { enabled: true, minAvailable: 1 }]);
    assert.deepEqual([(await certValues("local")).replicaCount, (await certValues("local")).podDisruptionBudget], [1, { enabled: false }]);
  });

  it("names the stack and key of an invalid config", async () => {
    await assert.rejects(
      renderPlatformStack("prod", { "certManager.replicas": 0, "storageClasses.wal": "Not A Label" }),
      (error: Error) =>
        error instanceof PlatformConfigError &&
        error.message.includes('stack "prod": config key "football-prediction-platform:certManager.replicas"') &&
        error.message.includes('"football-prediction-platform:storageClasses.wal" must be a DNS label'),
    );
  });

  it("warns about the shipped placeholders in a preview and refuses them at `pulumi up`, naming stack and key", async () => {
    const keys = ["certManager.acme.email", "logPipeline.elasticsearch.host", "logPipeline.elasticsearch.cidrs"];
    const warnings = (await renderPlatformStack("prod")).warnings.join("\n");
    for (const key of keys) assert.match(warnings, new RegExp(`stack "prod": config key "football-prediction-platform:${key.replace(/\./g, "\\.")}"`));
    assert.doesNotMatch((await renderPlatformStack("local")).warnings.join("\n"), /not ready to deploy/);
    await assert.rejects(renderPlatformStack("prod", {}, { mode: "update" }), (error: Error) =>
      keys.every((key) => error.message.includes(`"football-prediction-platform:${key}"`)),
    );
    const filledIn = {
      "certManager.acme": { email: "platform-team@example.org" },
      "logPipeline.elasticsearch": { host: "logs.example.org", port: 9200, tls: true, cidrs: ["10.20.30.0/24"] },
    };
    const deployed = await renderPlatformStack("prod", filledIn, { mode: "update" });
    assert.doesNotMatch(deployed.warnings.join("\n"), /not ready to deploy/);
  });

  it("refuses outputs that break the contract, naming the stack and output", () => {
    assert.throws(
      () => parsePlatformOutputs("acme/football-prediction-platform/prod", { cluster: "prod" }),
      (error: Error) => error instanceof PlatformOutputsError && /platform stack "acme\/football-prediction-platform\/prod": output "issuers"/.test(error.message),
    );
  });

  describe("monitoring", () => {
    type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const stackValues = async (stack: string): Promise<Values> => releaseOf(await rendered(stack), charts.kubePrometheusStack).inputs.values as Values;
    const include = { [MONITORING.includeLabel]: "true" };
    const INCLUDED = { ...include, app: "api" };
    const CHART_LABELS_ONLY = { release: charts.kubePrometheusStack.release, heritage: "Helm" };

    it("selects rules, monitors and AlertmanagerConfigs carrying the include label in every namespace, and nothing else", async () => {
      for (const stack of PLATFORM_STACKS) {
        const { prometheus, alertmanager } = await stackValues(stack);
        const spec = prometheus.prometheusSpec;
        for (const kind of ["rule", "serviceMonitor", "podMonitor"]) {
          assert.equal(spec[`${kind}SelectorNilUsesHelmValues`], false, `${stack}: ${kind} selector is not replaced by the chart's`);
          assert.ok(selectorMatches(spec[`${kind}Selector`], INCLUDED), `${stack}: ${kind}Selector admits the include label`);
          assert.ok(!selectorMatches(spec[`${kind}Selector`], CHART_LABELS_ONLY), `${stack}: ${kind}Selector admits only the include label`);
          assert.ok(isEmptySelector(spec[`${kind}NamespaceSelector`]), `${stack}: ${kind}NamespaceSelector is every namespace`);
        }
        const am = alertmanager.alertmanagerSpec;
        assert.ok(selectorMatches(am.alertmanagerConfigSelector, INCLUDED) && !selectorMatches(am.alertmanagerConfigSelector, CHART_LABELS_ONLY));
        assert.ok(isEmptySelector(am.alertmanagerConfigNamespaceSelector));
        assert.deepEqual(am.alertmanagerConfigMatcherStrategy, { type: "OnNamespace" });
      }
    });

    it("puts the include label on the chart's own monitors and rules, so kubelet, cAdvisor and kube-state-metrics are scraped", async () => {
      const values = await stackValues("prod");
      assert.deepEqual(values.commonLabels, include, "the chart's templates (kubelet, API server, default rules)");
      assert.deepEqual(values["kube-state-metrics"].prometheus.monitor.additionalLabels, include);
      assert.deepEqual(values["prometheus-node-exporter"].prometheus.monitor.additionalLabels, include);
      assert.deepEqual(values.grafana.serviceMonitor.labels, include);
      assert.equal(values.kubeStateMetrics.enabled, true);
    });

    it("runs Prometheus and Alertmanager highly available in staging and prod, one of each in local", async () => {
      const expected = { local: [1, 1], nonprod: [1, 1], staging: [2, 3], prod: [2, 3] };
      for (const [stack, [prometheusReplicas, alertmanagerReplicas]] of Object.entries(expected)) {
        const { prometheus, alertmanager } = await stackValues(stack);
        assert.deepEqual(
          [prometheus.prometheusSpec.replicas, alertmanager.alertmanagerSpec.replicas],
          [prometheusReplicas, alertmanagerReplicas],
          `${stack}: Prometheus and Alertmanager replicas`,
        );
        assert.equal(alertmanager.podDisruptionBudget.enabled, alertmanagerReplicas > 1, `${stack}: Alertmanager disruption budget`);
        assert.equal(prometheus.podDisruptionBudget.enabled, prometheusReplicas > 1, `${stack}: Prometheus disruption budget`);
      }
    });

    it("keeps Prometheus's data on the cluster's default storage class for the configured days, capped below the volume size", async () => {
      const spec = (await stackValues("prod")).prometheus.prometheusSpec;
      assert.equal(spec.retention, "30d");
      assert.equal(spec.storageSpec.volumeClaimTemplate.spec.storageClassName, "standard-rwo");
      assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, "100Gi");
      assert.ok(parseInt(spec.retentionSize, 10) < 100, `retentionSize ${spec.retentionSize} leaves room on a 100Gi volume`);
    });

    it("sets the exported base Alertmanager configuration as the chart's config: a null default receiver, Watchdog to null", async () => {
      for (const stack of PLATFORM_STACKS) {
        assert.deepEqual((await stackValues(stack)).alertmanager.config, ALERTMANAGER_BASE_CONFIG, stack);
      }
      assert.equal(ALERTMANAGER_BASE_CONFIG.route.receiver, "null");
      assert.deepEqual(ALERTMANAGER_BASE_CONFIG.route.routes, [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }]);
    });

    it("gives Grafana the dashboard sidecar in every namespace and a generated admin password that no release value holds", async () => {
      for (const stack of PLATFORM_STACKS) {
        const platform = await rendered(stack);
        const grafana = (await stackValues(stack)).grafana;
        assert.deepEqual(
          [grafana.sidecar.dashboards.label, grafana.sidecar.dashboards.labelValue, grafana.sidecar.dashboards.searchNamespace],
          [MONITORING.dashboardLabel, "1", "ALL"],
        );
        assert.equal(grafana.sidecar.dashboards.folderAnnotation, MONITORING.dashboardFolderAnnotation);
        assert.equal(grafana.sidecar.datasources.uid, "prometheus");
        assert.equal(grafana["grafana.ini"]["auth.anonymous"].enabled, false);
        assert.equal(grafana["grafana.ini"].analytics.reporting_enabled, false);
        const secret = platform.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as { name: string }).name === GRAFANA_ADMIN_SECRET);
        assert.ok(secret !== undefined, `${stack}: the admin Secret grafana.admin.existingSecret names`);
        assert.equal(grafana.admin.existingSecret, GRAFANA_ADMIN_SECRET);
        const passwordPath = `stringData.${grafana.admin.passwordKey}`;
        assert.ok(
          secret.secretPaths.some((at) => passwordPath === at || passwordPath.startsWith(`${at}.`)),
          `${stack}: the password is a Pulumi secret`,
        );
        assert.ok(platform.generatedSecrets.length > 0);
        const releasesText = JSON.stringify(releases(platform).map((r) => r.inputs));
        for (const value of platform.generatedSecrets) assert.ok(!releasesText.includes(value), `${stack}: a generated secret reached a release`);
      }
    });

    it("runs node-exporter alone in a privileged namespace and the rest of monitoring in a restricted one", async () => {
      const platform = await rendered("prod");
      const enforced = (name: string) =>
        (platform.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as { name: string }).name === name)?.inputs
          .metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"];
      assert.equal(enforced(charts.kubePrometheusStack.namespace), "restricted");
      assert.equal(enforced(NODE_EXPORTER_NAMESPACE), "privileged");
      assert.equal((await stackValues("prod"))["prometheus-node-exporter"].namespaceOverride, NODE_EXPORTER_NAMESPACE);
    });

    it("keeps the shared Pushgateway's pushes on a volume and scrapes it with the pushed labels", async () => {
      const platform = await rendered("prod");
      const values = releaseOf(platform, charts.pushgateway).inputs.values as Values;
      assert.equal(values.persistentVolume.enabled, true);
      assert.equal(values.persistentVolume.storageClass, "standard-rwo");
      assert.ok(values.extraArgs.includes(`--persistence.file=${values.persistentVolume.mountPath}/pushgateway.data`));
      const monitors = platform.resources.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
      assert.equal(monitors.length, 1);
      const monitor = monitors[0].inputs as Values;
      assert.equal(monitor.metadata.labels[MONITORING.includeLabel], "true");
      assert.deepEqual(monitor.spec.endpoints.map((e: Values) => [e.port, e.honorLabels]), [[values.service.portName, true]]);
      assert.deepEqual(monitor.spec.selector.matchLabels, PUSHGATEWAY.podLabels);
      assert.ok(monitors[0].dependsOn.includes(releaseOf(platform, charts.kubePrometheusStack).urn), "the ServiceMonitor waits for the CRDs");
      const outputs = parsePlatformOutputs("prod", platform.outputs).monitoring;
      assert.equal(outputs.pushgatewayUrl, `http://${values.fullnameOverride}.${charts.pushgateway.namespace}.svc:${values.service.port}`);
      assert.deepEqual(outputs.pushgatewayPodLabels, PUSHGATEWAY.podLabels);
      assert.equal(outputs.pushgatewayPort, values.service.port);
    });

    it("exports the Prometheus pods' labels and the operator's version", async () => {
      const outputs = parsePlatformOutputs("prod", (await rendered("prod")).outputs);
      assert.deepEqual(outputs.monitoring.prometheusPodLabels, {
        "app.kubernetes.io/name": "prometheus",
        "operator.prometheus.io/name": `${(await stackValues("prod")).fullnameOverride}-prometheus`,
      });
      assert.equal(outputs.monitoring.grafanaUrl, undefined);
      assert.deepEqual(outputs.operators.prometheusOperator, {
        namespace: charts.kubePrometheusStack.namespace,
        version: charts.kubePrometheusStack.appVersion,
        chart: "kube-prometheus-stack",
        chartVersion: charts.kubePrometheusStack.version,
      });
      assert.match(outputs.operators.prometheusOperator.version, /^v0\.93\./);
    });
  });
});
