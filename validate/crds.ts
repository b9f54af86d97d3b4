/**
 * Reads a folder of CustomResourceDefinitions (the upstream projects' own CRD manifests, as their releases publish
 * them) into an index by group, version and kind. YAML is read as YAML 1.2, so a value such as `=` in an enum stays
 * the string it is (YAML 1.1 parsers read it as the old "value" tag).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export interface CrdVersion {
  /** `metadata.name` of the CRD, e.g. `clusters.postgresql.cnpg.io`. */
  crd: string;
  /** The file it came from. */
  file: string;
  group: string;
  version: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  openAPIV3Schema: Record<string, unknown>;
}

/** A CRD folder that cannot be used: missing, unreadable, not YAML, or without any CRD. */
export class CrdFolderError extends Error {
  override name = "CrdFolderError";
}

export class CrdIndex {
  private readonly byKey = new Map<string, CrdVersion>();
  private readonly kinds = new Map<string, string[]>();

  add(version: CrdVersion): void {
    this.byKey.set(`${version.group}/${version.version}/${version.kind}`, version);
    const groupKind = `${version.group}/${version.kind}`;
    this.kinds.set(groupKind, [...(this.kinds.get(groupKind) ?? []), version.version]);
  }

  get size(): number {
    return this.byKey.size;
  }

  get(group: string, version: string, kind: string): CrdVersion | undefined {
    return this.byKey.get(`${group}/${version}/${kind}`);
  }

  /** The versions the folder has for a kind (to say which exist when the requested one does not). */
  versionsOf(group: string, kind: string): string[] {
    return this.kinds.get(`${group}/${kind}`) ?? [];
  }
}

/** Every `.yaml`, `.yml` and `.json` file under `dir`, in a stable order. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(full);
      return /\.(ya?ml|json)$/.test(entry.name) ? [full] : [];
    });
}

interface CrdDocument {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group?: string;
    scope?: "Namespaced" | "Cluster";
    names?: { kind?: string };
    versions?: Array<{ name?: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }>;
  };
}

function crdVersions(document: CrdDocument, file: string): CrdVersion[] {
  const { spec } = document;
  const group = spec?.group;
  const kind = spec?.names?.kind;
  if (group === undefined || kind === undefined) {
    throw new CrdFolderError(`${file}: CustomResourceDefinition ${document.metadata?.name ?? "?"} has no spec.group or spec.names.kind`);
  }
  return (spec?.versions ?? []).flatMap((v) =>
    v.name !== undefined && v.schema?.openAPIV3Schema !== undefined
      ? [
          {
            crd: document.metadata?.name ?? `${kind}.${group}`,
            file,
            group,
            version: v.name,
            kind,
            scope: spec?.scope ?? "Namespaced",
            openAPIV3Schema: v.schema.openAPIV3Schema,
          },
        ]
      : [],
  );
}

export function loadCrdFolder(dir: string): CrdIndex {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new CrdFolderError(`--crds ${dir}: not a directory`);
  }
  const index = new CrdIndex();
  for (const file of yamlFiles(dir)) {
    parseAllDocuments(readFileSync(file, "utf8"), { version: "1.2" }).forEach((document, i) => {
      if (document.errors.length > 0) {
        const line = document.errors[0].linePos?.[0].line;
        throw new CrdFolderError(`${file}${line === undefined ? `#${i + 1}` : `:${line}`}: ${document.errors[0].message}`);
      }
      const value = document.toJS() as CrdDocument | null;
      if (value?.kind === "CustomResourceDefinition") {
        crdVersions(value, file).forEach((version) => index.add(version));
      }
    });
  }
  if (index.size === 0) {
    throw new CrdFolderError(`--crds ${dir}: no CustomResourceDefinition with an openAPIV3Schema found`);
  }
  return index;
}
