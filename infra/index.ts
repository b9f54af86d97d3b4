/**
 * The Pulumi program: one ComponentResource per concern, composed from the validated stack settings. Pulumi runs
 * the exported function and takes its result as the stack outputs; the offline harness (infra/offline) calls the
 * same function under the mock runtime, once per stack.
 */
import * as k8s from "@pulumi/kubernetes";
import { App } from "./components/app";
import { Backups } from "./components/backups";
import { Importer } from "./components/importer";
import { LogShipping } from "./components/logShipping";
import { Monitoring, PUSHGATEWAY_URL } from "./components/monitoring";
import { NamespaceBaseline } from "./components/namespaceBaseline";
import { NetworkPolicies } from "./components/networkPolicies";
import { Postgres } from "./components/postgres";
import { Rbac } from "./components/rbac";
import { Redis } from "./components/redis";
import { Secrets } from "./components/secrets";
import { Web } from "./components/web";
import { loadSecretSettings, loadSettings } from "./config";

export = async () => {
  const settings = loadSettings();
  const secretSettings = loadSecretSettings(settings);

  // Unset kubeconfig and context mean the ambient kubeconfig, so `pulumi up` targets whatever cluster kubectl does.
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: secretSettings.kubeconfig,
    context: secretSettings.kubeContext,
  });
  const opts = { providers: [provider] };

  const instance = settings.namespace;
  const baseline = new NamespaceBaseline("namespace-baseline", { settings, instance }, opts);
  const context = { settings, namespace: baseline.namespace, instance };

  // Traffic rules exist before any workload, so nothing starts behind the default deny with its flows still closed.
  const networkPolicies = new NetworkPolicies("network-policies", context, opts);
  const secrets = new Secrets("secrets", { ...context, secretSettings }, opts);
  const workloadOpts = { ...opts, dependsOn: [networkPolicies] };

  const postgres = new Postgres("postgres", { ...context, secrets }, workloadOpts);
  const redis = new Redis("redis", { ...context, secrets }, workloadOpts);
  // The migration Jobs need a database that is up, not merely created.
  const app = new App("app", { ...context, secrets }, { ...opts, dependsOn: [networkPolicies, postgres, redis] });
  // The page needs nothing of the database or Redis: only the traffic rules and the host's certificate name.
  new Web("web", { ...context, tlsSecretName: app.tlsSecretName }, workloadOpts);

  const monitoring = settings.monitoring.enabled
    ? new Monitoring(
        "monitoring",
        { ...context, monitoring: settings.monitoring, secrets, issuerName: app.issuerName },
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

  const logShipping = settings.logShipping.enabled
    ? new LogShipping(
        "log-shipping",
        { settings, shipping: settings.logShipping, instance, sourceNamespace: baseline.namespace },
        opts,
      )
    : undefined;

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
      fluentBit:
        logShipping === undefined
          ? undefined
          : { serviceAccount: logShipping.serviceAccountName, namespace: logShipping.namespace },
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
