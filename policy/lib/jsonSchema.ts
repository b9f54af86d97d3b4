// The subset of JSON Schema the policies' `configSchema`s use, validated the way the Pulumi engine does it
// (gojsonschema): each error is `<field>: <description>`, with `(root)` for the policy's config object itself.
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

const SUPPORTED_KEYWORDS = new Set([
  "type",
  "enum",
  "items",
  "uniqueItems",
  "minItems",
  "minimum",
  "maximum",
  "minLength",
  "pattern",
  "properties",
  "required",
  "additionalProperties",
  "default",
  "description",
]);

function typeOf(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "array";
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? "integer" : "number";
  }
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return actual === expected || (expected === "number" && actual === "integer");
}

function render(value: unknown): string {
  return JSON.stringify(value);
}

function childField(field: string, key: string | number): string {
  return field === "(root)" ? String(key) : `${field}.${key}`;
}

function checkKeywords(schema: PolicyConfigJSONSchema): void {
  for (const keyword of Object.keys(schema)) {
    if (!SUPPORTED_KEYWORDS.has(keyword)) {
      throw new Error(`JSON schema keyword "${keyword}" is not supported by the policy config validator`);
    }
  }
}

function validateType(schema: PolicyConfigJSONSchema, value: unknown, field: string): string[] {
  if (schema.type === undefined) {
    return [];
  }
  const expected = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (expected.some((type) => typeMatches(type, value))) {
    return [];
  }
  return [`${field}: Invalid type. Expected: ${expected.join(", ")}, given: ${typeOf(value)}`];
}

function validateScalar(schema: PolicyConfigJSONSchema, value: unknown, field: string): string[] {
  const errors: string[] = [];
  if (schema.enum !== undefined && !schema.enum.some((allowed) => render(allowed) === render(value))) {
    errors.push(`${field}: ${field} must be one of the following: ${schema.enum.map(render).join(", ")}`);
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    errors.push(`${field}: Must be greater than or equal to ${schema.minimum}`);
  }
  if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) {
    errors.push(`${field}: Must be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push(`${field}: String length must be greater than or equal to ${schema.minLength}`);
  }
  if (typeof value === "string" && schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    errors.push(`${field}: Does not match pattern '${schema.pattern}'`);
  }
  return errors;
}

function validateArray(schema: PolicyConfigJSONSchema, value: unknown[], field: string): string[] {
  const errors: string[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push(`${field}: Array must have at least ${schema.minItems} items`);
  }
  if (schema.uniqueItems) {
    const seen = new Map<string, number>();
    value.forEach((item, index) => {
      const first = seen.get(render(item));
      if (first !== undefined) {
        errors.push(`${field}: array items[${first},${index}] must be unique`);
      } else {
        seen.set(render(item), index);
      }
    });
  }
  if (schema.items !== undefined) {
    if (Array.isArray(schema.items)) {
      throw new Error(`JSON schema tuple "items" is not supported by the policy config validator`);
    }
    const items = schema.items;
    value.forEach((item, index) => errors.push(...validateDefinition(items, item, childField(field, index))));
  }
  return errors;
}

function validateObject(schema: PolicyConfigJSONSchema, value: Record<string, unknown>, field: string): string[] {
  const errors: string[] = [];
  for (const name of schema.required ?? []) {
    if (!(name in value)) {
      errors.push(`${field}: ${name} is required`);
    }
  }
  for (const [name, child] of Object.entries(value)) {
    const propertySchema = schema.properties?.[name];
    if (propertySchema !== undefined) {
      errors.push(...validateDefinition(propertySchema, child, childField(field, name)));
    } else if (schema.additionalProperties === false) {
      errors.push(`${field}: Additional property ${name} is not allowed`);
    } else if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) {
      errors.push(...validateDefinition(schema.additionalProperties, child, childField(field, name)));
    }
  }
  return errors;
}

function validateDefinition(schema: PolicyConfigJSONSchemaDefinition, value: unknown, field: string): string[] {
  if (typeof schema === "boolean") {
    return schema ? [] : [`${field}: False always fails validation`];
  }
  checkKeywords(schema);
  const typeErrors = validateType(schema, value, field);
  if (typeErrors.length > 0) {
    return typeErrors;
  }
  const errors = validateScalar(schema, value, field);
  if (Array.isArray(value)) {
    errors.push(...validateArray(schema, value, field));
  } else if (typeOf(value) === "object") {
    errors.push(...validateObject(schema, value as Record<string, unknown>, field));
  }
  return errors;
}

/**
 * Validates a value against a JSON schema; returns the errors as the engine prints them, with the `(root): `
 * prefix trimmed like the engine does.
 */
export function validateJsonSchema(schema: PolicyConfigJSONSchema, value: unknown): string[] {
  return validateDefinition(schema, value, "(root)").map((error) => error.replace(/^\(root\): /, ""));
}
