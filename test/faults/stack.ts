import { type PostgresCluster, freshDatabase, sharedCluster } from "../support/postgresCluster";
import { RedisServer } from "../support/redisServer";
import { ServiceProcess, builtService } from "../support/serviceProcess";

export interface DrillStack {
  cluster: PostgresCluster;
  /** The drill's own copy of the seeded template, on `cluster`. */
  database: string;
  redis: RedisServer;
  service: ServiceProcess;
}

/**
 * What every drill runs against: a fresh copy of the seeded template on the run's cluster, a Redis server of its
 * own, and the service on both, with `env` on top. Whatever starts is stopped after the run even if a step fails.
 */
export async function startDrillStack(env: Record<string, string> = {}): Promise<DrillStack> {
  void builtService(); // compiles while the cluster is set up
  const cluster = await sharedCluster();
  const { name, url } = await freshDatabase(cluster);
  const redis = await RedisServer.start();
  const service = await ServiceProcess.start({ DATABASE_URL: url, REDIS_URL: redis.url, ...env });
  return { cluster, database: name, redis, service };
}
