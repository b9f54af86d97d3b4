/**
 * A CRD's structural schema (`openAPIV3Schema`, OpenAPI 3.0 with Kubernetes extensions) as a JSON Schema that ajv
 * evaluates the way the API server does with strict field validation:
 *
 * - unknown fields are errors: every object of the schema's skeleton that lists `properties` (or none at all) gets
 *   `additionalProperties: false`, unless it says `x-kubernetes-preserve-unknown-fields: true`; value validations
 *   under allOf/anyOf/oneOf/not are left open, as structural schemas only repeat skeleton fields there;
 * - `x-kubernetes-int-or-string` accepts an integer or a string; `x-kubernetes-embedded-resource` allows the
 *   apiVersion, kind and metadata of the embedded object; `nullable` allows null;
 * - OpenAPI 3.0's boolean exclusiveMinimum/exclusiveMaximum become JSON Schema's numeric ones;
 * - `x-kubernetes-list-type: set` requires unique items;
 * - CEL rules (`x-kubernetes-validations`) are counted, not evaluated: no maintained JavaScript library implements
 *   Kubernetes' CEL environment (its `self`/`oldSelf` bindings and the quantity, URL, IP and list libraries);
 * - a `pattern` JavaScript cannot compile (RE2 syntax it lacks) is counted as not evaluated instead of failing.
 */

type Schema = Record<string, unknown>;

export interface Conversion {
  schema: Schema;
  /** CEL rules found (x-kubernetes-validations), none evaluated. */
  celRules: number;
  /** Patterns left out because JavaScript regular expressions cannot compile them. */
  skippedPatterns: string[];
}

const JUNCTORS = ["allOf", "anyOf", "oneOf"] as const;
const OBJECT_META_FIELDS = ["apiVersion", "kind", "metadata"];

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

class Converter {
  celRules = 0;
  readonly skippedPatterns: string[] = [];

  /** `skeleton`: the node is part of the schema's structure (not inside a value validation), so it closes objects. */
  convert(node: Schema, skeleton: boolean, root = false): Schema {
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "x-kubernetes-validations") {
        this.celRules += Array.isArray(value) ? value.length : 0;
      } else if (key === "properties" && isSchema(value)) {
        out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, this.child(child, skeleton)]));
      } else if ((key === "items" || key === "additionalProperties" || key === "not") && isSchema(value)) {
        out[key] = this.child(value, key === "not" ? false : skeleton);
      } else if ((JUNCTORS as readonly string[]).includes(key) && Array.isArray(value)) {
        out[key] = value.map((branch) => this.child(branch, false));
      } else if (key === "pattern" && typeof value === "string" && !compiles(value)) {
        this.skippedPatterns.push(value);
      } else if (!key.startsWith("x-kubernetes-") && key !== "nullable" && key !== "exclusiveMinimum" && key !== "exclusiveMaximum") {
        out[key] = value;
      }
    }
    this.numericBounds(node, out);
    if (node["x-kubernetes-int-or-string"] === true) {
      out.type = ["integer", "string"];
    }
    if (node.nullable === true && typeof out.type === "string") {
      out.type = [out.type, "null"];
    }
    if (node["x-kubernetes-list-type"] === "set") {
      out.uniqueItems = true;
    }
    if (root || node["x-kubernetes-embedded-resource"] === true) {
      // The API server knows these fields of every object; a CRD schema rarely spells them out.
      const properties = isSchema(out.properties) ? out.properties : {};
      out.properties = {
        ...Object.fromEntries(OBJECT_META_FIELDS.map((field) => [field, field === "metadata" ? { type: "object" } : { type: "string" }])),
        ...properties,
      };
    }
    const isObject = out.type === "object" || (out.type === undefined && out.properties !== undefined);
    if (skeleton && isObject && out.additionalProperties === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true) {
      out.additionalProperties = false;
    }
    return out;
  }

  private child(value: unknown, skeleton: boolean): unknown {
    return isSchema(value) ? this.convert(value, skeleton) : value;
  }

  /** OpenAPI 3.0: `exclusiveMinimum: true` qualifies `minimum`; JSON Schema: `exclusiveMinimum: <number>`. */
  private numericBounds(node: Schema, out: Schema): void {
    for (const [bound, exclusive] of [
      ["minimum", "exclusiveMinimum"],
      ["maximum", "exclusiveMaximum"],
    ] as const) {
      if (node[exclusive] === true && typeof node[bound] === "number") {
        out[exclusive] = node[bound];
        delete out[bound];
      } else if (typeof node[exclusive] === "number") {
        out[exclusive] = node[exclusive];
      }
    }
  }
}

/** Converts a CRD version's `schema.openAPIV3Schema`. */
export function structuralToJsonSchema(openAPIV3Schema: Schema): Conversion {
  const converter = new Converter();
  const schema = converter.convert(openAPIV3Schema, true, true);
  const properties = schema.properties as Schema;
  // metadata of a custom resource is ObjectMeta, which the API server validates itself; the CRD may only narrow it.
  if (isSchema(properties.metadata) && properties.metadata.properties === undefined) {
    properties.metadata = { type: "object" };
  } else if (isSchema(properties.metadata)) {
    delete properties.metadata.additionalProperties;
  }
  return { schema, celRules: converter.celRules, skippedPatterns: converter.skippedPatterns };
}
