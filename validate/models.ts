/**
 * Custom resources whose CRDs the folder does not hold but whose project publishes typed models on npm: Envoy
 * Gateway's policies (BackendTrafficPolicy, EnvoyProxy, ...). The validator checks those objects with the models
 * instead of reporting them without a CRD.
 */

interface ModelValidator {
  API_VERSION: string;
  validateWithModel(object: Record<string, unknown>): string[] | undefined;
}

// An ES module (see the file): require loads it through Node's require(esm), which a CommonJS build needs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const envoyGateway = require("./envoyGatewayModels.mjs") as ModelValidator;

/** The problems of an object by its typed model (empty when valid); undefined when no model covers its kind. */
export function validateWithModel(object: Record<string, unknown>): string[] | undefined {
  return envoyGateway.validateWithModel(object);
}
