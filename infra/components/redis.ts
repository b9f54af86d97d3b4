import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images, imageUsers, thirdPartyImage } from "../images";
import {
  clusterService,
  execProbe,
  meta,
  podDefaults,
  resourcesOf,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  servingPriority,
  volumeClaimSpec,
} from "../k8s";
import { objectLabels, selectorLabels, workloads } from "../labels";
import { TYPE_PREFIX, type StackContext } from "./context";
import { credentialsRotationAnnotations, REDIS_HOST, type Secrets } from "./secrets";

export interface RedisArgs extends StackContext {
  secrets: Secrets;
}

const PORT = 6379;
const UID = imageUsers.redis;

/** `redis-cli` exits 0 on an error reply, so the probe checks for the PONG itself. */
const PING = ["sh", "-c", "redis-cli -h 127.0.0.1 ping | grep -q PONG"];

/**
 * Redis as a one-pod StatefulSet with an append-only file on its own volume, so the cache survives restarts warm;
 * memory bound and eviction policy come from stack config, the password from the generated Secret.
 */
export class Redis extends pulumi.ComponentResource {
  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Redis`, name, {}, opts);
    const { settings, namespace, instance, secrets } = args;
    const redis = settings.redis;
    const child = { parent: this };
    const labels = objectLabels(instance, workloads.redis, images.redis.tag);
    const selector = selectorLabels(instance, workloads.redis);

    const sa = serviceAccount("redis", namespace, labels, child);
    clusterService("redis-headless", namespace, labels, selector, [{ name: "redis", port: PORT }], child, true);
    clusterService(REDIS_HOST, namespace, labels, selector, [{ name: "redis", port: PORT }], child);

    new k8s.apps.v1.StatefulSet(
      "redis",
      {
        metadata: meta("redis", namespace, labels),
        spec: {
          serviceName: "redis-headless",
          replicas: 1,
          selector: { matchLabels: selector },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            // The password reaches redis-server only as an argument at start: a rotation needs a restart.
            metadata: { labels, annotations: credentialsRotationAnnotations(settings) },
            spec: {
              ...podDefaults(sa.metadata.name, UID),
              ...servingPriority(settings),
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "redis",
                  ...thirdPartyImage(images.redis),
                  // $(REDIS_PASSWORD) is expanded by the kubelet from the Secret; the pod spec never holds it.
                  args: [
                    "redis-server",
                    "--port",
                    String(PORT),
                    "--dir",
                    "/data",
                    "--appendonly",
                    "yes",
                    "--maxmemory",
                    redis.maxmemory,
                    "--maxmemory-policy",
                    redis.maxmemoryPolicy,
                    "--requirepass",
                    "$(REDIS_PASSWORD)",
                  ],
                  env: [
                    secretEnv("REDIS_PASSWORD", secrets.redisPassword.name, secrets.redisPassword.key),
                    // redis-cli (probes) reads its password from here instead of the command line.
                    secretEnv("REDISCLI_AUTH", secrets.redisPassword.name, secrets.redisPassword.key),
                  ],
                  ports: [{ name: "redis", containerPort: PORT, protocol: "TCP" }],
                  resources: resourcesOf(redis.resources),
                  securityContext: restrictedContainerSecurity(UID),
                  startupProbe: execProbe(PING, 5, 60),
                  readinessProbe: execProbe(PING, 10, 3),
                  livenessProbe: execProbe(PING, 20, 5),
                  volumeMounts: [
                    { name: "data", mountPath: "/data" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [scratchVolume("tmp", "16Mi")],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels },
              spec: volumeClaimSpec(redis.storageSize, settings.cluster.storageClass),
            },
          ],
        },
      },
      child,
    );

    this.registerOutputs({});
  }
}
