import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { colourTag } from "../blueGreen";
import type { SecretSettings, Settings } from "../config";
import { imageUsers } from "../images";
import {
  contentNameOf,
  meta,
  plainEnv,
  podDefaults,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  type EnvVar,
} from "../k8s";
import { instanceLabels, labelValue, objectLabels, workloads } from "../labels";
import { TYPE_PREFIX, type StackContext } from "./context";
import { credentialsRotationAnnotations, type Secrets } from "./secrets";

export interface ImporterArgs extends StackContext {
  secrets: Secrets;
  secretSettings: SecretSettings;
  /** The service's shared ConfigMap (APP_ENV, LOG_LEVEL, CACHE_PREFIX, pool bounds), as every pod of the image reads it. */
  serviceConfigMap: pulumi.Input<string>;
  /** The cluster's Pushgateway, where the command pushes its `import_*` metrics; absent when monitoring is off. */
  pushgatewayUrl?: string;
  /** The image's release must have migrated the database it writes. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

const UID = imageUsers.service;

/** The `import` command's settings (docs/service-interface.md) from the stack's `importer` config. */
function importEnvironment(settings: Settings): Record<string, string> {
  const { importer } = settings;
  const baseUrls = importer.baseUrls ?? {};
  return {
    IMPORT_LEAGUES: importer.leagues.map(({ league, source, code }) => `${league}:${source}:${code}`).join(","),
    IMPORT_MAX_FAILURE_RATIO: String(importer.maxFailureRatio),
    ...(baseUrls.openfootball === undefined ? {} : { OPENFOOTBALL_BASE_URL: baseUrls.openfootball }),
    ...(baseUrls.footballDataApi === undefined ? {} : { FOOTBALL_DATA_API_BASE_URL: baseUrls.footballDataApi }),
    ...(baseUrls.footballDataCsv === undefined ? {} : { FOOTBALL_DATA_CSV_BASE_URL: baseUrls.footballDataCsv }),
  };
}

/**
 * Keeps fixtures and results current: a CronJob running the service image's `import` command on the stack's
 * schedule, one run at a time, bounded in time and history. It reads the database and Redis credentials the API
 * uses (it writes matches, drops cached reads, nudges the worker) and, when a league imports from football-data.org,
 * the API token from a Secret of its own made from secret config. Its NetworkPolicy (networkPolicies.ts) lets it
 * reach PostgreSQL, Redis, the Pushgateway and the sources' addresses on 443, nothing else.
 */
export class Importer extends pulumi.ComponentResource {
  public readonly cronJobName: pulumi.Output<string>;
  /** The Secrets it manages: the API token's, when a league imports from football-data.org. */
  public readonly secretNames: pulumi.Output<string>[] = [];

  constructor(name: string, args: ImporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Importer`, name, {}, opts);
    const { settings, namespace, instance, secrets, secretSettings, pushgatewayUrl } = args;
    const child = { parent: this };
    const tag = colourTag(settings, settings.blueGreen.active);
    const labels = objectLabels(instance, workloads.importer, labelValue(tag));
    const sa = serviceAccount("importer", namespace, labels, child);

    const apiKey: EnvVar[] = [];
    if (secretSettings.footballDataApiKey !== undefined) {
      const secret = new k8s.core.v1.Secret(
        "importer-credentials",
        {
          metadata: meta(
            contentNameOf("importer-credentials", secretSettings.footballDataApiKey),
            namespace,
            instanceLabels(instance, workloads.importer.component),
          ),
          type: "Opaque",
          stringData: { FOOTBALL_DATA_API_KEY: secretSettings.footballDataApiKey },
        },
        child,
      );
      apiKey.push(secretEnv("FOOTBALL_DATA_API_KEY", secret.metadata.name, "FOOTBALL_DATA_API_KEY"));
      this.secretNames.push(secret.metadata.name);
    }

    const cronJob = new k8s.batch.v1.CronJob(
      "import",
      {
        metadata: meta("import", namespace, labels),
        spec: {
          schedule: settings.importer.schedule,
          timeZone: "Etc/UTC",
          // Two imports of one league would only wait for each other's locks; the next slot is skipped instead.
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 300,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 5,
          jobTemplate: {
            metadata: { labels },
            spec: {
              // The command retries its own requests; a failed run is an alert, and the next slot tries again.
              backoffLimit: 0,
              activeDeadlineSeconds: settings.importer.deadlineSeconds,
              template: {
                metadata: { labels, annotations: credentialsRotationAnnotations(settings) },
                spec: {
                  ...podDefaults(sa.metadata.name, UID),
                  restartPolicy: "Never",
                  containers: [
                    {
                      name: "import",
                      image: `${settings.imageRepository}:${tag}`,
                      imagePullPolicy: settings.image.pullPolicy,
                      args: ["import", "--trigger", "cron"],
                      envFrom: [{ configMapRef: { name: args.serviceConfigMap } }],
                      env: [
                        // The primary directly: an import's statements outlast the pooled sessions' bound.
                        secretEnv("DATABASE_URL", secrets.api.directDatabaseUrl.name, secrets.api.directDatabaseUrl.key),
                        secretEnv("REDIS_URL", secrets.api.redisUrl.name, secrets.api.redisUrl.key),
                        ...apiKey,
                        ...plainEnv({
                          ...importEnvironment(settings),
                          // A command holds a connection or two, whatever the API's pool is.
                          DB_POOL_MIN: "0",
                          DB_POOL_MAX: "2",
                          ...(pushgatewayUrl === undefined
                            ? {}
                            : { PUSHGATEWAY_URL: pushgatewayUrl, PUSHGATEWAY_NAMESPACE: settings.namespace }),
                        }),
                      ],
                      resources: { requests: { cpu: "50m", memory: "192Mi" }, limits: { cpu: "500m", memory: "384Mi" } },
                      securityContext: restrictedContainerSecurity(UID),
                      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                    },
                  ],
                  volumes: [scratchVolume("tmp")],
                },
              },
            },
          },
        },
      },
      { ...child, dependsOn: args.dependsOn },
    );
    this.cronJobName = cronJob.metadata.name;
    this.registerOutputs({ cronJobName: this.cronJobName });
  }
}
