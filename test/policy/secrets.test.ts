import * as assert from "assert";
import type { StackResource } from "../../policy/runner";
import { deployment, itReports, messages, object, withInit, withPod } from "./fixtures";

const web = deployment("web");

function withEnv(env: Record<string, string>): StackResource {
  return withPod(web, (spec) => (spec.containers[0].env = Object.entries(env).map(([name, value]) => ({ name, value }))));
}

function configMap(data: Record<string, string>): StackResource {
  return object("v1", "ConfigMap", "settings", { data });
}

function flagged(name: string, reason: string): string {
  return `container "web" sets env ${name} to a literal value that looks like a secret (${reason}); store it in a Secret and use valueFrom.secretKeyRef`;
}

const BY_NAME = "its name marks it as a secret";

describe("no-literal-secrets", () => {
  describe("by name", () => {
    itReports("no-literal-secrets", [
      {
        name: "allows secretKeyRef, and names that describe a secret rather than hold one",
        resources: [
          withPod(web, (spec) => {
            spec.containers[0].env = [
              { name: "JWT_SECRET", valueFrom: { secretKeyRef: { name: "api", key: "jwt" } } },
              { name: "JWT_SECRET_FILE", value: "/var/run/secrets/jwt" },
              { name: "TOKEN_TTL_SECONDS", value: "3600" },
              { name: "PASSWORD_MIN_LENGTH", value: "12" },
              { name: "CACHE_KEY_PREFIX", value: "fp:" },
              { name: "KEYCLOAK_REALM", value: "football" },
            ];
          }),
        ],
        expected: [],
      },
      {
        name: "allows values that cannot be secrets: empty, a flag, only $(VAR) references",
        resources: [withEnv({ DB_PASSWORD: "", ENABLE_TOKEN_AUTH: "true", API_KEY: "$(API_KEY_FROM_SECRET)" })],
        expected: [],
      },
      {
        name: "flags the telling word wherever it appears in the name",
        resources: [withEnv({ SECRET_BLAH: "x1", AZURE_BATCH_KEY: "x2", OCI_CLI_KEY_CONTENT: "x3", dbPassword: "hunter2", MYSQLPASSWORD: "x4", GITHUB_TOKENS: "x5", db_pass: "x6" })],
        expected: ["SECRET_BLAH", "AZURE_BATCH_KEY", "OCI_CLI_KEY_CONTENT", "dbPassword", "MYSQLPASSWORD", "GITHUB_TOKENS", "db_pass"].map((name) => flagged(name, BY_NAME)),
      },
      { name: "allows a name listed in allowedKeys", config: { allowedKeys: ["SORT_KEY"] }, resources: [withEnv({ SORT_KEY: "kickoff" })], expected: [] },
      { name: "flags that name without the allow-list", resources: [withEnv({ SORT_KEY: "kickoff" })], expected: [flagged("SORT_KEY", BY_NAME)] },
    ]);
  });

  describe("by value", () => {
    const keys = [
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
      "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----",
      "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----",
      "---BEGIN OPENSSH PRIVATE KEY---\nb3Bl\n---END OPENSSH PRIVATE KEY---",
      "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQO\n-----END PGP PRIVATE KEY BLOCK-----",
      "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none",
    ];
    const tokens: Array<[string, string]> = [
      ["AKIAIOSFODNN7EXAMPLE", "an AWS access key"],
      [`ghp_${"a".repeat(36)}`, "a GitHub token"],
      [`github_pat_${"B".repeat(22)}_${"c".repeat(59)}`, "a GitHub token"],
      [`glpat-${"x".repeat(20)}`, "a GitLab token"],
      [`xoxb-1234567890-${"a".repeat(24)}`, "a Slack token"],
      ["https://hooks.slack.com/services/T0000/B0000/XXXXXXXX", "a Slack token"],
      [`sk_live_${"4".repeat(24)}`, "a Stripe key"],
      [`AIza${"S".repeat(35)}`, "a Google API key"],
      [`npm_${"n".repeat(36)}`, "an npm token"],
      [`sk-proj-${"p".repeat(40)}`, "an OpenAI or Anthropic API key"],
      [`dckr_pat_${"d".repeat(27)}`, "a Docker Hub token"],
      [`hvs.${"v".repeat(24)}`, "a Vault token"],
      [`DefaultEndpointsProtocol=https;AccountName=fp;AccountKey=${"k".repeat(86)}==`, "an Azure storage key"],
      ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2ln", "a JSON Web Token"],
    ];
    itReports("no-literal-secrets", [
      {
        name: "flags a private key of every PEM and OpenSSH armour under an innocent name",
        resources: [withEnv(Object.fromEntries(keys.map((key, index) => [`KEY_MATERIAL_${index}_PATH`, key])))],
        expected: keys.map((_, index) => flagged(`KEY_MATERIAL_${index}_PATH`, "it contains a private key")),
      },
      {
        name: "flags common token formats under innocent names",
        resources: [withEnv(Object.fromEntries(tokens.map(([value], index) => [`SETTING_${index}`, value])))],
        expected: tokens.map(([, token], index) => flagged(`SETTING_${index}`, `it contains ${token}`)),
      },
      {
        name: "flags a password in a URL in an init container, but not a $(VAR) placeholder",
        resources: [
          withInit(withEnv({ DATABASE_URL: "postgres://app:$(DB_PASSWORD)@postgres:5432/app" }), (init) => (init.env = [{ name: "DATABASE_URL", value: "postgres://app:s3cret@postgres:5432/app" }])),
        ],
        expected: ['init container "init" sets env DATABASE_URL to a literal value that looks like a secret (it embeds a password in a URL); store it in a Secret and use valueFrom.secretKeyRef'],
      },
      { name: "allows ordinary values", resources: [withEnv({ LOG_LEVEL: "info", GREETING: "sk-short", PUBLIC_KEY: "" })], expected: [] },
    ]);
  });

  describe("in ConfigMaps", () => {
    itReports("no-literal-secrets", [
      { name: "allows configuration", resources: [configMap({ LOG_LEVEL: "info", "prometheus.yml": "scrape_interval: 30s" })], expected: [] },
      {
        name: "flags secret keys and values, except allowed keys",
        config: { allowedKeys: ["PASSWORD_POLICY_URL_TEXT"] },
        resources: [configMap({ "backup.s3.secret-access-key": "abc", "aws.conf": "key = AKIAABCDEFGHIJKLMNOP", PASSWORD_POLICY_URL_TEXT: "see wiki" })],
        expected: [
          `ConfigMap key "backup.s3.secret-access-key" looks like a secret (${BY_NAME}); move it to a Secret and reference it with secretKeyRef`,
          'ConfigMap key "aws.conf" looks like a secret (it contains an AWS access key); move it to a Secret and reference it with secretKeyRef',
        ],
      },
    ]);
  });

  it("does not apply to other kinds", async () => {
    assert.deepStrictEqual(await messages([object("v1", "Secret", "creds", { stringData: { password: "hunter2" } })], "no-literal-secrets"), []);
  });
});
