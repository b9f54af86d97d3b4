/**
 * Validates rendered Kubernetes objects offline: built-in kinds against the Kubernetes OpenAPI schemas that
 * kubernetes-models ships, cert-manager's kinds (not in kubernetes-models) against the fields cert-manager
 * requires.
 */

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

const crdCheckers: Record<string, (spec: Record<string, unknown>) => string[]> = {
  "cert-manager.io/v1/Certificate": checkCertificate,
  "cert-manager.io/v1/ClusterIssuer": checkClusterIssuer,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === "string" && value.length > 0;
}

function checkCertificate(spec: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const issuerRef = spec.issuerRef;
  if (!nonEmptyString(spec.secretName)) errors.push("spec.secretName must be a non-empty string");
  if (!Array.isArray(spec.dnsNames) || spec.dnsNames.length === 0 || !spec.dnsNames.every(nonEmptyString)) {
    errors.push("spec.dnsNames must be a non-empty list of host names");
  }
  if (!isRecord(issuerRef) || !nonEmptyString(issuerRef.name)) errors.push("spec.issuerRef.name is required");
  if (isRecord(issuerRef) && !["Issuer", "ClusterIssuer"].includes(String(issuerRef.kind))) {
    errors.push("spec.issuerRef.kind must be Issuer or ClusterIssuer");
  }
  if (isRecord(issuerRef) && issuerRef.group !== undefined && issuerRef.group !== "cert-manager.io") {
    errors.push("spec.issuerRef.group must be cert-manager.io");
  }
  return errors;
}

function checkClusterIssuer(spec: Record<string, unknown>): string[] {
  const kinds = ["selfSigned", "acme", "ca", "vault", "venafi"].filter((kind) => spec[kind] !== undefined);
  if (kinds.length !== 1) {
    return [`spec must configure exactly one issuer type, found ${kinds.length === 0 ? "none" : kinds.join(", ")}`];
  }
  const acme = spec.acme;
  if (!isRecord(acme)) {
    return [];
  }
  const errors: string[] = [];
  if (typeof acme.server !== "string" || !acme.server.startsWith("https://")) {
    errors.push("spec.acme.server must be an https:// URL");
  }
  if (!isRecord(acme.privateKeySecretRef) || !nonEmptyString(acme.privateKeySecretRef.name)) {
    errors.push("spec.acme.privateKeySecretRef.name is required");
  }
  if (!Array.isArray(acme.solvers) || acme.solvers.length === 0) {
    errors.push("spec.acme.solvers must list at least one solver");
  }
  return errors;
}

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`; the core group is `v1`. */
function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const models = new Map<string, Promise<ModelClass | undefined>>();

function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const key = `${apiVersion}/${kind}`;
  let model = models.get(key);
  if (model === undefined) {
    model = import(modelPath(apiVersion, kind)).then(
      (module: Record<string, unknown>) => module[kind] as ModelClass,
      () => undefined,
    );
    models.set(key, model);
  }
  return model;
}

/** Problems with one object; empty when it is valid. */
export async function validateKubernetesObject(object: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const crdCheck = crdCheckers[`${apiVersion}/${kind}`];
  if (crdCheck !== undefined) {
    const metadata = object.metadata;
    const errors = isRecord(metadata) && nonEmptyString(metadata.name) ? [] : ["metadata.name is required"];
    return [...errors, ...(isRecord(object.spec) ? crdCheck(object.spec) : ["spec is required"])];
  }
  const Model = await loadModel(apiVersion, kind);
  if (Model === undefined) {
    return [`no schema for ${apiVersion} ${kind}`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
