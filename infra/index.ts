/**
 * The Pulumi program: one ComponentResource per concern, composed from the validated stack settings. Pulumi runs
 * the exported function and takes its result as the stack outputs; the offline harness (infra/offline) calls the
 * same function under the mock runtime, once per stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { App } from "./components/app";
import { Backups } from "./components/backups";
import { Importer } from "./components/importer";
import { FLUENT_BIT_SERVICE_ACCOUNT, LogShipping } from "./components/logShipping";
import { apiClientAccounts, Monitoring, PUSHGATEWAY_URL } from "./components/monitoring";
import { NamespaceBaseline } from "./components/namespaceBaseline";
import { NetworkPolicies } from "./components/networkPolicies";
import { Postgres } from "./components/postgres";
import { Rbac } from "./components/rbac";
import { Redis } from "./components/redis";
import { Secrets } from "./components/secrets";
import { isConfigSet, loadSecretSettings, loadSettings } from "./config";
import { enforceReadiness } from "./readiness";
import { chooseRelease, readRecordedRelease, RELEASE_OUTPUT, withRelease } from "./release";

export = async () => {
  const configured = loadSettings();
  enforceReadiness(pulumi.getStack(), configured, { isSet: isConfigSet });
  const { release, source } = chooseRelease(pulumi.getStack(), configured, await readRecordedRelease());
  const settings = withRelease(configured, release);
  const secretSettings = loadSecretSettings(settings);

  // Unset kubeconfig and context mean the ambient kubeconfig, so `pulumi up` targets whatever cluster kubectl does.
  // With `clusterIdentifier` a changed kubeconfig (rotated credentials, a new context name) updates the provider
  // instead of replacing it and, with it, every object of the stack. Only a changed identifier replaces it; adding
  // one to a deployed stack does not (pulumi-kubernetes provider.go, DiffConfig), as long as that first run leaves
  // the kubeconfig and context as they were.
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: secretSettings.kubeconfig,
    context: secretSettings.kubeContext,
    clusterIdentifier: settings.clusterIdentifier ?? pulumi.getStack(),
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

  // Roles and bindings exist before the workloads whose ServiceAccounts use them: a pod that starts without its
  // permissions fails its first API calls (Prometheus' discovery, kube-state-metrics' informers, Fluent Bit's
  // metadata lookups) and only recovers on a retry.
  const rbac = new Rbac(
    "rbac",
    {
      ...context,
      prometheus: settings.monitoring.enabled
        ? { serviceAccount: apiClientAccounts.prometheus, namespace: baseline.namespace }
        : undefined,
      kubeStateMetrics: settings.monitoring.enabled
        ? { serviceAccount: apiClientAccounts.kubeStateMetrics, namespace: baseline.namespace }
        : undefined,
      fluentBit: settings.logShipping.enabled
        ? { serviceAccount: FLUENT_BIT_SERVICE_ACCOUNT, namespace: settings.logShipping.namespace }
        : undefined,
    },
    opts,
  );

  const monitoring = settings.monitoring.enabled
    ? new Monitoring(
        "monitoring",
        { ...context, monitoring: settings.monitoring, secrets, issuerName: app.issuerName },
        { ...opts, dependsOn: [networkPolicies, rbac] },
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

  if (settings.logShipping.enabled) {
    new LogShipping(
      "log-shipping",
      { settings, shipping: settings.logShipping, instance, sourceNamespace: baseline.namespace },
      { ...opts, dependsOn: [rbac] },
    );
  }

  return {
    namespace: baseline.namespace,
    serviceUrl: app.serviceUrl,
    activeColour: app.activeColour,
    // What the next run keeps unless the deploy workflow sets a release (infra/release.ts).
    [RELEASE_OUTPUT]: release,
    releaseSource: source,
    ...(monitoring === undefined ? {} : { grafanaUrl: monitoring.grafanaUrl }),
    secretNames: secrets.secretNames,
  };
};
