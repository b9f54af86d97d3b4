/**
 * Point-in-time recovery (`database.recovery`): a second Cluster beside the serving one, bootstrapped from the
 * object store's newest base backup before the target time and the WAL after it, replayed up to `targetTime`. It
 * archives its own WAL under its own name, so the source's archive is never written to, and serves nothing until a
 * person has checked it (docs/runbooks.md, "Point-in-time restore"): the API keeps using the serving Cluster.
 */
import type { DatabaseSettings } from "../../config";
import { databaseRoles, OBJECT_STORE_NAME } from "./names";

/** The name the recovery Cluster gives its source in `externalClusters`. */
const SOURCE = "origin";

export function recoveryBootstrap(
  db: DatabaseSettings,
  recovery: NonNullable<DatabaseSettings["recovery"]>,
  pluginName: string,
  appSecret: unknown,
) {
  return {
    bootstrap: {
      recovery: {
        source: SOURCE,
        database: db.name,
        owner: databaseRoles.app,
        secret: { name: appSecret },
        recoveryTarget: { targetTime: recovery.targetTime },
      },
    },
    externalClusters: [
      {
        name: SOURCE,
        plugin: {
          name: pluginName,
          parameters: { barmanObjectName: OBJECT_STORE_NAME, serverName: recovery.sourceCluster },
        },
      },
    ],
  };
}
