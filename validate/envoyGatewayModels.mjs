// Envoy Gateway's typed models (@kubernetes-models/envoy-gateway, generated from its CRDs). The package is
// ES-module only and exports no `require` entry, so this file imports it as a module and validate/models.ts loads
// this file with require (Node's require of ES modules); nothing else in the project touches the package.
import * as models from "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1";

/** The apiVersion the models describe. */
export const API_VERSION = "gateway.envoyproxy.io/v1alpha1";

/**
 * The problems of one object by its kind's model (empty when valid), or undefined for a kind the package has no
 * model of. The models check types, required fields, enums and bounds; unlike the CRD validation they do not
 * refuse unknown fields.
 */
export function validateWithModel(object) {
  const Model = models[object.kind];
  if (object.apiVersion !== API_VERSION || typeof Model !== "function" || typeof Model.prototype.validate !== "function") {
    return undefined;
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return String(error.message).split("\n").filter((line) => line.trim() !== "");
  }
}
