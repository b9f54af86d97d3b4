/**
 * The Pulumi program: one ComponentResource per concern, composed from the validated stack settings. Pulumi runs
 * the exported function and takes its result as the stack outputs; the offline harness (infra/offline) calls the
 * same function under the mock runtime, once per stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { App } from "./components/app";
import { Backups } from "./components/backups";
import { Database } from "./components/database";
import { Edge } from "./components/edge";
import { Importer } from "./components/importer";
import { Exporters } from "./components/exporters";
import { Monitoring } from "./components/monitoring";
import { NamespaceBaseline } from "./components/namespaceBaseline";
import { NetworkPolicies } from "./components/networkPolicies";
import { PreviewAccess } from "./components/previewAccess";
import { Redis } from "./components/redis";
import { Secrets } from "./components/secrets";
import { Web } from "./components/web";
import { isConfigSet, loadSecretSettings, loadSettings } from "./config";
import { issuerName, loadPlatform } from "./platform";
import { enforceReadiness } from "./readiness";
import { chooseRelease, readRecordedRelease, RELEASE_OUTPUT, withRelease } from "./release";

export = async () => {
  const configured = loadSettings();
  enforceReadiness(pulumi.getStack(), configured, { isSet: isConfigSet });
  const { release, source } = chooseRelease(pulumi.getStack(), configured, await readRecordedRelease());
  const settings = withRelease(configured, release);
  const secretSettings = loadSecretSettings(settings);
  // The cluster's facts, from its platform stack (platform/outputs.ts): read before anything registers.
  const platform = await loadPlatform(settings);
  const issuer = issuerName(settings, platform);

  // Unset kubeconfig and context mean the ambient kubeconfig, so `pulumi up` targets whatever cluster kubectl does.
  // With `clusterIdentifier` a changed kubeconfig (rotated credentials, a new context name) updates the provider
  // instead of replacing it and, with it, every object of the stack. Only a changed identifier replaces it; adding
  // one to a deployed stack does not (pulumi-kubernetes provider.go, DiffConfig), as long as that first run leaves
  // the kubeconfig and context as they were.
  // enableConfigMapMutable: a ConfigMap whose data changes is updated in place instead of replaced (pulumi-kubernetes
  // provider.go, forceNewProperties). The ConfigMaps pods read are named after their content, so they are still new
  // objects that roll their readers; the dashboards are read by Grafana's sidecar, which follows an update but loses
  // the file when a replacement deletes the old object after creating the new one.
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: secretSettings.kubeconfig,
    context: secretSettings.kubeContext,
    clusterIdentifier: settings.clusterIdentifier ?? pulumi.getStack(),
    enableConfigMapMutable: true,
  });
  const opts = { providers: [provider] };

  const instance = settings.namespace;
  const baseline = new NamespaceBaseline("namespace-baseline", { settings, platform, instance }, opts);
  const context = { settings, platform, namespace: baseline.namespace, instance };

  // Traffic rules exist before any workload, so nothing starts behind the default deny with its flows still closed.
  const networkPolicies = new NetworkPolicies("network-policies", context, opts);
  const secrets = new Secrets("secrets", { ...context, secretSettings }, opts);
  const workloadOpts = { ...opts, dependsOn: [networkPolicies] };

  const database = new Database("database", { ...context, secrets }, workloadOpts);
  const redis = new Redis("redis", { ...context, secrets }, workloadOpts);
  // The migration Jobs need a database that is up, not merely created (the Cluster's await waits for it Ready).
  const app = new App("app", { ...context, secrets }, { ...opts, dependsOn: [networkPolicies, database, redis] });
  // The page needs nothing of the database or Redis: only the traffic rules.
  const web = new Web("web", context, workloadOpts);
  new Edge(
    "edge",
    { ...context, issuerName: issuer, backends: { api: app.colourServices, web: web.colourServices } },
    opts,
  );

  // The stack's part of the cluster's monitoring: its exporters, and the objects the platform's Prometheus Operator
  // and Grafana pick up (rules, monitors, routes, dashboards). Backups and imports push to the cluster's Pushgateway.
  let monitoring: Monitoring | undefined;
  if (settings.monitoring.enabled) {
    monitoring = new Monitoring("monitoring", { ...context, monitoring: settings.monitoring, secrets }, opts);
    new Exporters("exporters", { ...context, secrets }, workloadOpts);
  }
  const pushgatewayUrl = monitoring === undefined ? undefined : platform.monitoring.pushgatewayUrl;

  new Backups(
    "backups",
    {
      ...context,
      secrets,
      pushgatewayUrl,
      dependsOn: [app.migrationJobs[settings.blueGreen.active]],
    },
    workloadOpts,
  );

  const importer = new Importer(
    "importer",
    {
      ...context,
      secrets,
      secretSettings,
      serviceConfigMap: app.configMapName,
      pushgatewayUrl,
      dependsOn: [app.migrationJobs[settings.blueGreen.active]],
    },
    workloadOpts,
  );

  // Last, so it follows every object above; a preview identity needs nothing before the first deployment.
  const previewAccess = new PreviewAccess(
    "preview-access",
    {
      ...context,
      secretNames: [...Object.values(secrets.secretNames), ...importer.secretNames],
    },
    opts,
  );

  return {
    namespace: baseline.namespace,
    previewServiceAccount: previewAccess.serviceAccountName,
    previewTokenSecret: previewAccess.tokenSecretName,
    serviceUrl: app.serviceUrl,
    activeColour: app.activeColour,
    // What the next run keeps unless the deploy workflow sets a release (infra/release.ts).
    [RELEASE_OUTPUT]: release,
    releaseSource: source,
    ...(monitoring?.grafanaUrl === undefined ? {} : { grafanaUrl: monitoring.grafanaUrl }),
    secretNames: secrets.secretNames,
  };
};
