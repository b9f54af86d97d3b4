import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images, imageUsers, thirdPartyImage } from "../images";
import {
  claimGrowth,
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
  statefulSetClaim,
  CLAIM_TEMPLATES_PATH,
  volumeClaimSpec,
} from "../k8s";
import type { Resources } from "../config";
import { claimLabels, objectLabels, selectorLabels, workloads, type Workload } from "../labels";
import { stateful, TYPE_PREFIX, type StackContext } from "./context";
import { credentialsRotationAnnotations, RATE_LIMIT_REDIS_HOST, REDIS_HOST, type Secrets } from "./secrets";

export interface RedisArgs extends StackContext {
  secrets: Secrets;
}

const PORT = 6379;
const UID = imageUsers.redis;

/** `redis-cli` exits 0 on an error reply, so the probe checks for the PONG itself. */
const PING = ["sh", "-c", "redis-cli -h 127.0.0.1 ping | grep -q PONG"];

/** One Redis server: what differs between the cache's and the rate limiter's. */
interface Instance {
  name: string;
  host: string;
  workload: Workload;
  maxmemory: string;
  maxmemoryPolicy: string;
  resources: Resources;
  /** An append-only file on a volume of this size; none: memory only. */
  storageSize?: string;
}

/**
 * The rate limiter's counters (a fixed window of a minute, under a hundred bytes per client) in a Redis of their
 * own: sharing the cache's, whose `allkeys-lru` evicts whatever was used least, a flood of cache entries could push
 * a client's counter out and reset its limit (eviction spans every logical database of a server, so a database
 * number of their own would not do). `noeviction` makes a full server refuse new counters instead of dropping
 * live ones, and the service then counts per process until there is room; no persistence, as a restart costs at
 * most one window of counting. 32 MB holds the counters of some 300,000 clients.
 */
const RATE_LIMIT_REDIS = {
  maxmemory: "32mb",
  maxmemoryPolicy: "noeviction",
  resources: { requests: { cpu: "50m", memory: "48Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
} as const;

/**
 * Redis as one-pod StatefulSets: the cache, with an append-only file on its own volume so it survives restarts warm
 * (memory bound and eviction policy from stack config), and the rate limiter's counters (RATE_LIMIT_REDIS). Both
 * take the password from the generated Secret.
 */
/** The cache's StatefulSet, whose `data` claim the volume alerts watch. */
export const REDIS_STATEFUL_SET = "redis";

export class Redis extends pulumi.ComponentResource {
  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Redis`, name, {}, opts);
    const { redis } = args.settings;
    this.instance(args, {
      name: REDIS_STATEFUL_SET,
      host: REDIS_HOST,
      workload: workloads.redis,
      maxmemory: redis.maxmemory,
      maxmemoryPolicy: redis.maxmemoryPolicy,
      resources: redis.resources,
      storageSize: redis.storageSize,
    });
    this.instance(args, { name: RATE_LIMIT_REDIS_HOST, host: RATE_LIMIT_REDIS_HOST, workload: workloads.rateLimitRedis, ...RATE_LIMIT_REDIS });
    this.registerOutputs({});
  }

  private instance(args: RedisArgs, redis: Instance): void {
    const { settings, namespace, instance, secrets } = args;
    const child = { parent: this };
    const labels = objectLabels(instance, redis.workload, images.redis.tag);
    const selector = selectorLabels(instance, redis.workload);
    const headless = `${redis.name}-headless`;

    const sa = serviceAccount(redis.name, namespace, labels, child);
    clusterService(headless, namespace, labels, selector, [{ name: "redis", port: PORT }], child, true);
    clusterService(redis.host, namespace, labels, selector, [{ name: "redis", port: PORT }], child);

    const persistence = redis.storageSize === undefined ? ["--appendonly", "no", "--save", ""] : ["--dir", "/data", "--appendonly", "yes"];
    const set = new k8s.apps.v1.StatefulSet(
      redis.name,
      {
        metadata: meta(redis.name, namespace, labels),
        spec: {
          serviceName: headless,
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
                    ...persistence,
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
                    ...(redis.storageSize === undefined ? [] : [{ name: "data", mountPath: "/data" }]),
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [scratchVolume("tmp", "16Mi")],
            },
          },
          ...(redis.storageSize === undefined
            ? {}
            : {
                volumeClaimTemplates: [
                  {
                    metadata: { name: "data", labels: claimLabels(instance, redis.workload) },
                    spec: volumeClaimSpec(redis.storageSize, args.platform.storageClasses.default),
                  },
                ],
              }),
        },
      },
      {
        ...child,
        ...stateful(settings),
        ...(redis.storageSize === undefined ? {} : { ignoreChanges: [CLAIM_TEMPLATES_PATH] }),
      },
    );
    if (redis.storageSize !== undefined) {
      claimGrowth(`${redis.name}-data-size`, statefulSetClaim("data", redis.name), namespace, redis.storageSize, {
        ...child,
        ...stateful(settings),
        dependsOn: [set],
      });
    }
  }
}
