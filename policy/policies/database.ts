// PostgreSQL on CloudNativePG: no superuser login, no plaintext connections, backups encrypted at rest in the
// object store, and a Pooler that stays inside the cluster. The operator's defaults already do the first two; these
// policies keep a stack from undoing them.
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import type { KubernetesObject } from "../lib/k8s";

const CNPG = "postgresql.cnpg.io";
const BARMAN_CLOUD = "barmancloud.cnpg.io";

type Json = Record<string, unknown>;

function field(object: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Json)[key] : undefined), object);
}

function specOf(object: KubernetesObject): Json {
  const spec = object.spec;
  return spec !== null && typeof spec === "object" ? (spec as Json) : {};
}

const noSuperuserAccess = objectPolicy({
  name: "cnpg-no-superuser-access",
  description:
    "A CloudNativePG Cluster must not enable superuser access: leave spec.enableSuperuserAccess unset or false, and give each client a managed role (spec.managed.roles) with only what it needs.",
  severity: "high",
  counterparts: {},
  kinds: [`${CNPG}:Cluster`],
  check: (cluster) =>
    specOf(cluster).enableSuperuserAccess === true
      ? ['spec.enableSuperuserAccess is true: the "postgres" superuser gets a password and can log in over the network; set it to false']
      : [],
});

/** PostgreSQL's spellings of "off" for a boolean setting. */
const OFF = new Set(["off", "false", "no", "0", "f", "n"]);
const WEAK_TLS = new Set(["TLSv1", "TLSv1.1"]);

const tlsRequired = objectPolicy({
  name: "cnpg-tls",
  description:
    "A CloudNativePG Cluster must keep TLS on: do not set postgresql.parameters.ssl off, ssl_min_protocol_version below TLSv1.2, or pg_hba lines of type hostnossl.",
  severity: "high",
  counterparts: {},
  kinds: [`${CNPG}:Cluster`],
  check: (cluster) => {
    const parameters = (field(cluster, "spec", "postgresql", "parameters") ?? {}) as Json;
    const problems: string[] = [];
    const ssl = parameters.ssl;
    if (typeof ssl === "string" && OFF.has(ssl.trim().toLowerCase())) {
      problems.push(`spec.postgresql.parameters.ssl is "${ssl}": connections would be plaintext; remove it (the operator turns TLS on)`);
    }
    const minimum = parameters.ssl_min_protocol_version;
    if (typeof minimum === "string" && WEAK_TLS.has(minimum.trim())) {
      problems.push(`spec.postgresql.parameters.ssl_min_protocol_version is "${minimum}"; use TLSv1.2 or TLSv1.3`);
    }
    const hba = field(cluster, "spec", "postgresql", "pg_hba");
    (Array.isArray(hba) ? hba : []).forEach((line, index) => {
      if (typeof line === "string" && /^\s*hostnossl\b/.test(line)) {
        problems.push(`spec.postgresql.pg_hba[${index}] accepts connections without TLS ("${line.trim()}"); use hostssl`);
      }
    });
    return problems;
  },
});

const backupEncryption = objectPolicy({
  name: "cnpg-backup-encryption",
  description:
    "Backups in object storage must be encrypted at rest: give a Barman Cloud ObjectStore (and a Cluster's in-tree barmanObjectStore) configuration.data.encryption and configuration.wal.encryption (AES256 or aws:kms).",
  severity: "high",
  counterparts: {},
  kinds: [`${BARMAN_CLOUD}:ObjectStore`, `${CNPG}:Cluster`],
  check: (object, _config, kind) => {
    const [path, configuration] =
      kind === `${BARMAN_CLOUD}:ObjectStore`
        ? ["spec.configuration", field(object, "spec", "configuration")]
        : ["spec.backup.barmanObjectStore", field(object, "spec", "backup", "barmanObjectStore")];
    if (configuration === undefined || configuration === null) return [];
    return (["data", "wal"] as const)
      .filter((part) => typeof field(configuration, part, "encryption") !== "string" || field(configuration, part, "encryption") === "")
      .map((part) => `${path}.${part}.encryption is not set: ${part === "data" ? "base backups" : "WAL files"} would be stored unencrypted; set AES256 or aws:kms`);
  },
});

const EXPOSED_SERVICE_TYPES = new Set(["LoadBalancer", "NodePort"]);

const poolerInternal = objectPolicy({
  name: "cnpg-pooler-internal",
  description:
    "A CloudNativePG Pooler must not be reachable from outside the cluster: leave spec.serviceTemplate.spec.type ClusterIP (or unset) and set no externalIPs; clients outside reach the database through nothing.",
  severity: "high",
  counterparts: {},
  kinds: [`${CNPG}:Pooler`],
  check: (pooler) => {
    const spec = field(pooler, "spec", "serviceTemplate", "spec");
    const type = field(spec, "type");
    const externalIPs = field(spec, "externalIPs");
    return [
      ...(typeof type === "string" && EXPOSED_SERVICE_TYPES.has(type)
        ? [`spec.serviceTemplate.spec.type is ${type}: PgBouncer would accept connections from outside the cluster; use ClusterIP`]
        : []),
      ...(Array.isArray(externalIPs) && externalIPs.length > 0
        ? ["spec.serviceTemplate.spec.externalIPs exposes PgBouncer on node addresses; remove them"]
        : []),
    ];
  },
});

export const databasePolicies: Policies = [noSuperuserAccess, tlsRequired, backupEncryption, poolerInternal];
