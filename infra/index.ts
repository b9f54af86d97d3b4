/**
 * The Pulumi program: one ComponentResource per concern, composed from the validated stack settings. Pulumi runs
 * the exported function and takes its result as the stack outputs; the offline harness (infra/offline) calls the
 * same function under the mock runtime, once per stack.
 */
import * as k8s from "@pulumi/kubernetes";
import { App } from "./components/app";
import { Backups } from "./components/backups";
import { Database } from "./components/database";
import { Importer } from "./components/importer";
import { Monitoring, PUSHGATEWAY_URL } from "./components/monitoring";
import { NamespaceBaseline } from "./components/namespaceBaseline";
import { NetworkPolicies } from "./components/networkPolicies";
import { Rbac } from "./components/rbac";
import { Redis } from "./components/redis";
import { Secrets } from "./components/secrets";
import { loadSecretSettings, loadSettings } from "./config";
import { issuerName, loadPlatform } from "./platform";

export = async () => {
  const settings = loadSettings();
  const secretSettings = loadSecretSettings(settings);
  // The cluster's facts, from its platform stack (platform/outputs.ts): read before anything registers.
  const platform = await loadPlatform(settings);
  const issuer = issuerName(settings, platform);

  // Unset kubeconfig and context mean the ambient kubeconfig, so `pulumi up` targets whatever cluster kubectl does.
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: secretSettings.kubeconfig,
    context: secretSettings.kubeContext,
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
  const app = new App("app", { ...context, secrets, issuerName: issuer }, { ...opts, dependsOn: [networkPolicies, database, redis] });

  const monitoring = settings.monitoring.enabled
    ? new Monitoring(
        "monitoring",
        { ...context, monitoring: settings.monitoring, secrets, issuerName: issuer },
        workloadOpts,
      )
    : undefined;

  new Backups(
    "backups",
    {
      ...context,
      secrets,
      pushgatewayUrl: monitoring === undefined ? undefined : PUSHGATEWAY_URL,
      dependsOn: [app.migrationJobs[settings.blueGreen.active]],
    },
    workloadOpts,
  );

  new Importer(
    "importer",
    {
      ...context,
      secrets,
      secretSettings,
      serviceConfigMap: app.configMapName,
      pushgatewayUrl: monitoring === undefined ? undefined : PUSHGATEWAY_URL,
      dependsOn: [app.migrationJobs[settings.blueGreen.active]],
    },
    workloadOpts,
  );

  new Rbac(
    "rbac",
    {
      ...context,
      prometheus:
        monitoring === undefined
          ? undefined
          : { serviceAccount: monitoring.prometheusServiceAccount, namespace: baseline.namespace },
      kubeStateMetrics:
        monitoring === undefined
          ? undefined
          : { serviceAccount: monitoring.kubeStateMetricsServiceAccount, namespace: baseline.namespace },
    },
    opts,
  );

  return {
    namespace: baseline.namespace,
    serviceUrl: app.serviceUrl,
    activeColour: app.activeColour,
    ...(monitoring === undefined ? {} : { grafanaUrl: monitoring.grafanaUrl }),
    secretNames: secrets.secretNames,
  };
};
