// Workload hygiene: resources, probes, pinned images from allowed registries, read-only root filesystems,
// ServiceAccounts and their tokens, secrets kept out of env and ConfigMaps, and bounded CronJobs.
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { exemptNamespacesSchema, ExemptNamespacesConfig, objectPolicy, podPolicy } from "../lib/define";
import { allContainers, ContainerRef, groupKind, KubernetesObject, namespaceOf, podTemplateOf, quoteList, WORKLOAD_TYPE_DESCRIPTION } from "../lib/k8s";
import { objectsOfKind, workloadsOf } from "../lib/stack";

const RESOURCE_FIELDS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

function missingResources({ container }: ContainerRef): string[] {
  return RESOURCE_FIELDS.filter((field) => {
    const [section, resource] = field.split(".") as ["requests" | "limits", string];
    const value = container.resources?.[section]?.[resource];
    return value === undefined || value === null || value === "";
  }).map((field) => `resources.${field}`);
}

const containerResources = podPolicy({
  name: "container-resources",
  description: "Every container and init container must declare CPU and memory requests and limits: set resources.requests.cpu, resources.requests.memory, resources.limits.cpu and resources.limits.memory.",
  severity: "medium",
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ role }) => role !== "ephemeral container")
      .flatMap((ref) => {
        const missing = missingResources(ref);
        return missing.length > 0 ? [`${ref.label} does not set ${missing.join(", ")}; set CPU and memory requests and limits`] : [];
      }),
});

const containerProbes = podPolicy({
  name: "container-probes",
  description: "Containers of long-running workloads (and their sidecars) must have a livenessProbe and a readinessProbe: add both so Kubernetes restarts hung containers and routes traffic only to ready ones.",
  severity: "medium",
  check: (pod) =>
    pod.longRunning
      ? allContainers(pod.spec)
          .filter(({ container, role }) => role === "container" || (role === "init container" && container.restartPolicy === "Always"))
          .flatMap(({ container, label }) => {
            const missing = (["livenessProbe", "readinessProbe"] as const).filter((probe) => container[probe] === undefined);
            return missing.length > 0 ? [`${label} has no ${missing.join(" or ")}; add ${missing.length === 1 ? "it" : "both"}`] : [];
          })
      : [],
});

interface ImageReference {
  /** Repository with its registry made explicit, e.g. `docker.io/library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
}

function parseImage(image: string): ImageReference {
  const [nameAndTag, digest] = image.split("@", 2);
  const slash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > slash;
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const first = name.split("/")[0];
  const hasRegistry = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const repository = hasRegistry ? name : `docker.io/${name.includes("/") ? name : `library/${name}`}`;
  return { repository, tag: hasTag ? nameAndTag.slice(colon + 1) : undefined, digest };
}

function imageProblem({ container, label }: ContainerRef): string[] {
  if (typeof container.image !== "string") {
    return [];
  }
  const { repository, tag, digest } = parseImage(container.image);
  if (digest) {
    return [];
  }
  if (tag === undefined) {
    return [`${label} image "${container.image}" has no tag; pin a version tag (${repository.split("/").at(-1)}:<version>) or a digest (@sha256:…)`];
  }
  if (tag === "latest") {
    return [`${label} image "${container.image}" uses the latest tag; pin a version tag or a digest (@sha256:…)`];
  }
  return [];
}

const imageTagPinned = podPolicy({
  name: "image-tag-pinned",
  description: "Container images must be pinned: use an explicit version tag other than latest, or a digest (@sha256:…).",
  severity: "high",
  check: (pod) => allContainers(pod.spec).flatMap(imageProblem),
});

interface RegistryConfig extends ExemptNamespacesConfig {
  allowedRegistries?: string[];
}

function fromRegistry(repository: string, prefix: string): boolean {
  const trimmed = prefix.replace(/\/+$/, "");
  return repository === trimmed || repository.startsWith(`${trimmed}/`);
}

const imageRegistryAllowed = podPolicy<RegistryConfig>({
  name: "image-registry-allowed",
  description: "Container images must come from an allowed registry: use an image whose repository starts with one of the allowedRegistries in this policy's config.",
  severity: "high",
  config: {
    allowedRegistries: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description: "Registry or repository prefixes images may come from, e.g. ghcr.io/acme; an empty list allows any registry. Docker Hub images are docker.io/library/<name>.",
    },
  },
  check: (pod, { allowedRegistries = [] }) =>
    allowedRegistries.length === 0
      ? []
      : allContainers(pod.spec)
          .filter(({ container }) => typeof container.image === "string")
          .filter(({ container }) => !allowedRegistries.some((prefix) => fromRegistry(parseImage(container.image as string).repository, prefix)))
          .map(({ container, label }) => `${label} image "${container.image}" is not from an allowed registry; use an image from ${quoteList(allowedRegistries)}`),
});

const readOnlyRootFilesystem = podPolicy({
  name: "read-only-root-filesystem",
  description: "Containers must run with a read-only root filesystem: set securityContext.readOnlyRootFilesystem=true and mount an emptyDir where the process needs to write.",
  severity: "medium",
  check: (pod) =>
    allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.readOnlyRootFilesystem !== true)
      .map(({ container, label }) =>
        container.securityContext?.readOnlyRootFilesystem === false
          ? `${label} sets securityContext.readOnlyRootFilesystem=false; set it to true and mount an emptyDir where it writes`
          : `${label} does not set securityContext.readOnlyRootFilesystem; set it to true and mount an emptyDir where it writes`,
      ),
});

const noDefaultServiceAccount = podPolicy({
  name: "no-default-service-account",
  description: "Pods must not run as their namespace's default ServiceAccount: create a dedicated ServiceAccount and set serviceAccountName in the pod spec.",
  severity: "medium",
  check: (pod) => {
    const account = pod.spec.serviceAccountName || pod.spec.serviceAccount;
    return account && account !== "default"
      ? []
      : [`pod runs as the "default" ServiceAccount; create a dedicated ServiceAccount and set ${pod.specPath}.serviceAccountName`];
  },
});

interface TokenConfig extends ExemptNamespacesConfig {
  apiAccessServiceAccounts?: string[];
}

const serviceAccountTokenAutomount: StackValidationPolicy = {
  name: "service-account-token-automount",
  description: "Pods must not mount a ServiceAccount token unless they call the Kubernetes API: set automountServiceAccountToken=false on the pod spec (or on its ServiceAccount); list the ServiceAccounts of pods that need the API as namespace/name in apiAccessServiceAccounts.",
  severity: "medium",
  configSchema: {
    properties: {
      exemptNamespaces: exemptNamespacesSchema,
      apiAccessServiceAccounts: {
        type: "array",
        items: { type: "string", pattern: "^[^/]+/[^/]+$" },
        uniqueItems: true,
        default: [],
        description: "ServiceAccounts (namespace/name) whose pods call the Kubernetes API and may mount a token.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const { apiAccessServiceAccounts = [] } = args.getConfig<TokenConfig>();
    const accounts = new Map(objectsOfKind(args.resources, "core:ServiceAccount").map((sa) => [`${sa.namespace}/${sa.name}`, sa.object]));
    for (const { pod, name, resource } of workloadsOf(args)) {
      const account = `${pod.namespace}/${pod.spec.serviceAccountName || pod.spec.serviceAccount || "default"}`;
      const automount = pod.spec.automountServiceAccountToken ?? (accounts.get(account)?.automountServiceAccountToken as boolean | undefined) ?? true;
      if (automount && !apiAccessServiceAccounts.includes(account)) {
        reportViolation(
          `${pod.kind} "${name}" mounts the token of ServiceAccount ${account}; set ${pod.specPath}.automountServiceAccountToken=false, or list "${account}" in apiAccessServiceAccounts if it calls the Kubernetes API`,
          resource.urn,
        );
      }
    }
  },
};

const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "CREDENTIALS", "APIKEY", "PRIVATEKEY"]);
const SECRET_KEY_QUALIFIERS = new Set(["API", "PRIVATE", "ACCESS", "SECRET", "SIGNING", "ENCRYPTION"]);

/** Splits `dbPassword`, `DB_PASSWORD` and `db.password` into upper-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== "");
}

/** True when a name ends in a secret-bearing word: JWT_SECRET, dbPassword, S3_SECRET_ACCESS_KEY (not TOKEN_TTL_SECONDS). */
function secretName(name: string): boolean {
  const parts = words(name);
  const last = parts.at(-1) ?? "";
  return SECRET_WORDS.has(last) || (last === "KEY" && SECRET_KEY_QUALIFIERS.has(parts.at(-2) ?? ""));
}

const SECRET_VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:(?!\$\(|\$\{)[^@\s/]+@/i, "it embeds a password in a URL"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "it contains a private key"],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "it contains an AWS access key"],
  [/\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/, "it contains a JSON Web Token"],
  [/\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|xox[abpr]-[\w-]{10,}|sk_live_\w{16,})/, "it contains an API token"],
];

function secretReason(name: string, value: string): string | undefined {
  if (value === "") {
    return undefined;
  }
  if (secretName(name)) {
    return "its name marks it as a secret";
  }
  return SECRET_VALUE_PATTERNS.find(([pattern]) => pattern.test(value))?.[1];
}

interface LiteralSecretsConfig extends ExemptNamespacesConfig {
  allowedKeys?: string[];
}

function envSecrets(type: string, props: KubernetesObject, allowedKeys: string[]): string[] {
  const pod = podTemplateOf(type, props);
  return allContainers(pod?.spec ?? {}).flatMap(({ container, label }) =>
    (container.env ?? [])
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
  return Object.entries((props.data as Record<string, unknown> | undefined) ?? {})
    .filter(([key, value]) => typeof value === "string" && !allowedKeys.includes(key))
    .flatMap(([key, value]) => {
      const reason = secretReason(key, value as string);
      return reason ? [`ConfigMap key "${key}" looks like a secret (${reason}); move it to a Secret and reference it with secretKeyRef`] : [];
    });
}

const noLiteralSecrets: ResourceValidationPolicy = {
  name: "no-literal-secrets",
  description: "Secrets must not be written as literal values in container env or ConfigMaps: store them in a Secret and reference them with valueFrom.secretKeyRef (or mount the Secret).",
  severity: "high",
  configSchema: {
    properties: {
      exemptNamespaces: exemptNamespacesSchema,
      allowedKeys: {
        type: "array",
        items: { type: "string", minLength: 1 },
        uniqueItems: true,
        default: [],
        description: "Env variable names and ConfigMap keys that look secret but are not (e.g. PASSWORD_MIN_LENGTH).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const isConfigMap = groupKind(args.type) === "core:ConfigMap";
    if (!isConfigMap && !podTemplateOf(args.type, args.props)) {
      return args.notApplicable(`applies to ConfigMap and ${WORKLOAD_TYPE_DESCRIPTION} objects`);
    }
    const { exemptNamespaces = [], allowedKeys = [] } = args.getConfig<LiteralSecretsConfig>();
    const namespace = namespaceOf(args.props);
    if (exemptNamespaces.includes(namespace)) {
      return args.notApplicable(`namespace "${namespace}" is exempt`);
    }
    const messages = isConfigMap ? configMapSecrets(args.props, allowedKeys) : envSecrets(args.type, args.props, allowedKeys);
    for (const message of messages) {
      reportViolation(message);
    }
  },
};

function cronJobProblems(cronJob: KubernetesObject): string[] {
  const spec = (cronJob.spec ?? {}) as Record<string, unknown>;
  const jobSpec = ((spec.jobTemplate as { spec?: Record<string, unknown> } | undefined)?.spec ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (spec.concurrencyPolicy !== "Forbid" && spec.concurrencyPolicy !== "Replace") {
    const current = spec.concurrencyPolicy === undefined ? "does not set spec.concurrencyPolicy" : `sets spec.concurrencyPolicy=${spec.concurrencyPolicy}`;
    problems.push(`CronJob ${current}; set it to Forbid (or Replace) so runs cannot overlap`);
  }
  if (spec.startingDeadlineSeconds === undefined) {
    problems.push("CronJob does not set spec.startingDeadlineSeconds; set it so a run that cannot start on time is skipped");
  }
  if (jobSpec.activeDeadlineSeconds === undefined) {
    problems.push("CronJob does not set spec.jobTemplate.spec.activeDeadlineSeconds; set it so a hung run is stopped");
  }
  for (const field of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    if (spec[field] === undefined) {
      problems.push(`CronJob does not set spec.${field}; set it to bound the finished Jobs kept`);
    }
  }
  return problems;
}

const cronJobLimits = objectPolicy({
  name: "cronjob-limits",
  description: "CronJobs must bound their runs: set spec.concurrencyPolicy to Forbid or Replace, spec.startingDeadlineSeconds, spec.jobTemplate.spec.activeDeadlineSeconds, spec.successfulJobsHistoryLimit and spec.failedJobsHistoryLimit.",
  severity: "low",
  kinds: ["batch:CronJob"],
  check: cronJobProblems,
});

export const workloadHygienePolicies: Policies = [
  containerResources,
  containerProbes,
  imageTagPinned,
  imageRegistryAllowed,
  readOnlyRootFilesystem,
  noDefaultServiceAccount,
  serviceAccountTokenAutomount,
  noLiteralSecrets,
  cronJobLimits,
];
