import { itReports, object } from "./fixtures";

const CNPG = "postgresql.cnpg.io/v1";

function cluster(spec: Record<string, unknown>) {
  return object(CNPG, "Cluster", "postgres", { spec: { instances: 3, storage: { size: "10Gi" }, ...spec } });
}

function objectStore(configuration: Record<string, unknown>) {
  return object("barmancloud.cnpg.io/v1", "ObjectStore", "store", {
    spec: { configuration: { destinationPath: "s3://bucket/path", ...configuration } },
  });
}

function pooler(serviceSpec?: Record<string, unknown>) {
  return object(CNPG, "Pooler", "postgres-pooler-rw", {
    spec: {
      cluster: { name: "postgres" },
      pgbouncer: { poolMode: "transaction" },
      ...(serviceSpec === undefined ? {} : { serviceTemplate: { spec: serviceSpec } }),
    },
  });
}

const encrypted = { data: { encryption: "AES256" }, wal: { encryption: "aws:kms" } };

describe("CloudNativePG policies", () => {
  describe("cnpg-no-superuser-access", () => {
    itReports("cnpg-no-superuser-access", [
      { name: "allows the default (no superuser access)", resources: [cluster({})], expected: [] },
      { name: "allows it turned off explicitly", resources: [cluster({ enableSuperuserAccess: false })], expected: [] },
      {
        name: "flags superuser access",
        resources: [cluster({ enableSuperuserAccess: true })],
        expected: ['spec.enableSuperuserAccess is true: the "postgres" superuser gets a password and can log in over the network; set it to false'],
      },
    ]);
  });

  describe("cnpg-tls", () => {
    itReports("cnpg-tls", [
      { name: "allows the operator's TLS defaults", resources: [cluster({ postgresql: { parameters: { shared_buffers: "1GB" } } })], expected: [] },
      {
        name: "allows a stricter minimum and hostssl lines",
        resources: [cluster({ postgresql: { parameters: { ssl_min_protocol_version: "TLSv1.3" }, pg_hba: ["hostssl all all 10.0.0.0/8 scram-sha-256"] } })],
        expected: [],
      },
      {
        name: "flags ssl off, in any of PostgreSQL's spellings",
        resources: [cluster({ postgresql: { parameters: { ssl: "Off" } } })],
        expected: ['spec.postgresql.parameters.ssl is "Off": connections would be plaintext; remove it (the operator turns TLS on)'],
      },
      {
        name: "flags a weak minimum protocol and a hostnossl line",
        resources: [cluster({ postgresql: { parameters: { ssl_min_protocol_version: "TLSv1.1" }, pg_hba: ["hostssl all all all cert", " hostnossl all all 0.0.0.0/0 md5"] } })],
        expected: [
          'spec.postgresql.parameters.ssl_min_protocol_version is "TLSv1.1"; use TLSv1.2 or TLSv1.3',
          'spec.postgresql.pg_hba[1] accepts connections without TLS ("hostnossl all all 0.0.0.0/0 md5"); use hostssl',
        ],
      },
    ]);
  });

  describe("cnpg-backup-encryption", () => {
    itReports("cnpg-backup-encryption", [
      { name: "allows an ObjectStore encrypting data and WAL", resources: [objectStore(encrypted)], expected: [] },
      { name: "allows a Cluster without in-tree backups", resources: [cluster({})], expected: [] },
      {
        name: "flags an ObjectStore without encryption",
        resources: [objectStore({ data: { compression: "gzip" } })],
        expected: [
          "spec.configuration.data.encryption is not set: base backups would be stored unencrypted; set AES256 or aws:kms",
          "spec.configuration.wal.encryption is not set: WAL files would be stored unencrypted; set AES256 or aws:kms",
        ],
      },
      {
        name: "flags a Cluster's in-tree object store that encrypts only its base backups",
        resources: [cluster({ backup: { barmanObjectStore: { destinationPath: "s3://b/p", data: { encryption: "AES256" } } } })],
        expected: ["spec.backup.barmanObjectStore.wal.encryption is not set: WAL files would be stored unencrypted; set AES256 or aws:kms"],
      },
    ]);
  });

  describe("cnpg-pooler-internal", () => {
    itReports("cnpg-pooler-internal", [
      { name: "allows the default Service", resources: [pooler()], expected: [] },
      { name: "allows ClusterIP", resources: [pooler({ type: "ClusterIP" })], expected: [] },
      {
        name: "flags a LoadBalancer",
        resources: [pooler({ type: "LoadBalancer" })],
        expected: ["spec.serviceTemplate.spec.type is LoadBalancer: PgBouncer would accept connections from outside the cluster; use ClusterIP"],
      },
      {
        name: "flags a NodePort and external IPs",
        resources: [pooler({ type: "NodePort", externalIPs: ["203.0.113.7"] })],
        expected: [
          "spec.serviceTemplate.spec.type is NodePort: PgBouncer would accept connections from outside the cluster; use ClusterIP",
          "spec.serviceTemplate.spec.externalIPs exposes PgBouncer on node addresses; remove them",
        ],
      },
    ]);
  });
});
