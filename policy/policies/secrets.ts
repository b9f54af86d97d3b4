// Secrets written as literal values into container env or ConfigMaps, found by the name that holds them
// (`DB_PASSWORD`, `SECRET_BLAH`, `AZURE_BATCH_KEY`, `OCI_CLI_KEY_CONTENT`) or by what the value looks like
// (a private key of any PEM or OpenSSH armour, a password in a URL, a token of a known format).
import type { Policies } from "@pulumi/policy";
import { ExemptNamespacesConfig, typePolicy } from "../lib/define";
import { allContainers, groupKind, KubernetesObject, objectsIn, podTemplateOf, WORKLOAD_TYPE_DESCRIPTION } from "../lib/k8s";

/** Words that mark a name as holding a secret wherever they appear, even inside a longer word (DBPASSWORD). */
const SECRET_WORDS = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATEKEY", "APIKEY", "ACCESSKEY"];
/** Words that mark a name only on their own, being too common inside other words (KEYCLOAK, PASSTHROUGH). */
const SECRET_WHOLE_WORDS = ["KEY", "PASS", "CREDS"];
/**
 * Last words that make the name describe a secret rather than hold one: JWT_SECRET_FILE is a path, TOKEN_TTL_SECONDS
 * a duration, PASSWORD_MIN_LENGTH a number, ACCESS_KEY_ID an identifier, CACHE_KEY_PREFIX a string prefix.
 */
const DESCRIPTOR_WORDS = new Set([
  "FILE", "PATH", "DIR", "NAME", "REF", "ID", "TTL", "SECONDS", "MINUTES", "HOURS", "DAYS", "MS", "TIMEOUT", "INTERVAL",
  "LENGTH", "LEN", "MIN", "MAX", "SIZE", "COUNT", "LIMIT", "ENABLED", "DISABLED", "REQUIRED", "HEADER", "ALGORITHM", "TYPE",
  "URL", "ENDPOINT", "ISSUER", "AUDIENCE", "PREFIX", "SUFFIX", "FORMAT", "VERSION", "ROTATION", "EXPIRY", "POLICY", "MODE",
]); // prettier-ignore

/** Splits `dbPassword`, `DB_PASSWORD` and `db.password` into upper-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== "");
}

function secretName(name: string): boolean {
  const parts = words(name);
  if (DESCRIPTOR_WORDS.has(parts.at(-1) ?? "")) {
    return false;
  }
  return parts.some((part) => SECRET_WORDS.some((word) => part.includes(word)) || SECRET_WHOLE_WORDS.includes(part));
}

/** Token formats of common services, each with what to call it in a message. */
const TOKEN_PATTERNS: Array<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key"],
  [/\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})/, "a GitHub token"],
  [/\bglpat-[\w-]{20,}/, "a GitLab token"],
  [/\bxox[abposr]-[\w-]{10,}|hooks\.slack\.com\/services\/T\w+\/B\w+\/\w+/, "a Slack token"],
  [/\b[rs]k_(live|test)_\w{16,}/, "a Stripe key"],
  [/\bAIza[\w-]{35}\b/, "a Google API key"],
  [/\bnpm_[A-Za-z0-9]{36}\b/, "an npm token"],
  [/\bpypi-AgEIcHlwaS5vcmc[\w-]{50,}/, "a PyPI token"],
  [/\bsk-(proj-|ant-)?[\w-]{20,}/, "an OpenAI or Anthropic API key"],
  [/\bSG\.[\w-]{22}\.[\w-]{43}\b/, "a SendGrid key"],
  [/\bdckr_pat_[\w-]{20,}/, "a Docker Hub token"],
  [/\bhv[sb]\.[\w-]{24,}/, "a Vault token"],
  [/\bdo[por]_v1_[a-f0-9]{64}\b/, "a DigitalOcean token"],
  [/\bAccountKey=[A-Za-z0-9+/=]{40,}/, "an Azure storage key"],
  [/\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/, "a JSON Web Token"],
];

const SECRET_VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:(?!\$\(|\$\{)[^@\s/]+@/i, "it embeds a password in a URL"],
  // Every PEM and OpenSSH armour (RSA, EC, DSA, ENCRYPTED, OPENSSH, PGP … PRIVATE KEY), however many dashes.
  [/-{3,}\s*BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?\s*-{3,}|PuTTY-User-Key-File-\d+:/, "it contains a private key"],
  ...TOKEN_PATTERNS.map(([pattern, token]): [RegExp, string] => [pattern, `it contains ${token}`]),
];

/** Values that cannot hold a secret: flags, and nothing but $(VAR) references the kubelet expands. */
function notASecret(value: string): boolean {
  return value === "" || /^(true|false|yes|no|on|off)$/i.test(value) || /^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$/.test(value);
}

/** Why a value named `name` looks like a secret (its value's form first, then its name), or undefined. */
export function secretReason(name: string, value: string): string | undefined {
  if (notASecret(value)) {
    return undefined;
  }
  return SECRET_VALUE_PATTERNS.find(([pattern]) => pattern.test(value))?.[1] ?? (secretName(name) ? "its name marks it as a secret" : undefined);
}

interface LiteralSecretsConfig extends ExemptNamespacesConfig {
  allowedKeys?: string[];
}

function envSecrets(type: string, props: KubernetesObject, allowedKeys: string[]): string[] {
  const pod = podTemplateOf(type, props);
  return allContainers(pod?.spec ?? {}).flatMap(({ container, label }) =>
    objectsIn(container.env)
      .filter((variable) => typeof variable.value === "string" && !allowedKeys.includes(variable.name))
      .flatMap((variable) => {
        const reason = secretReason(variable.name, variable.value as string);
        return reason
          ? [`${label} sets env ${variable.name} to a literal value that looks like a secret (${reason}); store it in a Secret and use valueFrom.secretKeyRef`]
          : [];
      }),
  );
}

function configMapSecrets(props: KubernetesObject, allowedKeys: string[]): string[] {
  const data = props.data !== null && typeof props.data === "object" ? (props.data as Record<string, unknown>) : {};
  return Object.entries(data)
    .filter(([key, value]) => typeof value === "string" && !allowedKeys.includes(key))
    .flatMap(([key, value]) => {
      const reason = secretReason(key, value as string);
      return reason ? [`ConfigMap key "${key}" looks like a secret (${reason}); move it to a Secret and reference it with secretKeyRef`] : [];
    });
}

const noLiteralSecrets = typePolicy<LiteralSecretsConfig>({
  name: "no-literal-secrets",
  description: "Secrets must not be written as literal values in container env or ConfigMaps: store them in a Secret and reference them with valueFrom.secretKeyRef (or mount the Secret); list names that only look secret in allowedKeys.",
  severity: "high",
  counterparts: { polaris: ["sensitiveContainerEnvVar", "sensitiveConfigmapContent"], kubeLinter: ["env-var-secret", "configmap-with-credentials"] },
  config: {
    allowedKeys: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "Env variable names and ConfigMap keys whose values are not secrets although they look like one (e.g. SORT_KEY).",
    },
  },
  check: (args, { allowedKeys = [] }) => {
    if (groupKind(args.type) === "core:ConfigMap") {
      return configMapSecrets(args.props, allowedKeys);
    }
    return podTemplateOf(args.type, args.props)
      ? envSecrets(args.type, args.props, allowedKeys)
      : args.notApplicable(`applies to ConfigMap and ${WORKLOAD_TYPE_DESCRIPTION} objects`);
  },
});

export const secretPolicies: Policies = [noLiteralSecrets];
