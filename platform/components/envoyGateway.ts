import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts, imageRef } from "../charts";
import type { PlatformSettings } from "../config";
import { platformLabels } from "../labels";
import { chartRelease, TYPE_PREFIX } from "./chartRelease";
import { operatorResources } from "./resources";

export interface EnvoyGatewayArgs {
  settings: PlatformSettings;
  namespace: pulumi.Output<string>;
}

/** The GatewayClass every environment's Gateway names, and the EnvoyProxy that configures its data plane. */
export const GATEWAY_CLASS = "envoy";
const ENVOY_PROXY = "edge-proxy";
/** Envoy Gateway's controller name, which a GatewayClass must carry for it to be accepted. */
export const GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

/** The chart values: the controller image pinned, replicas and resources from the stack. */
export function envoyGatewayValues(settings: PlatformSettings): Record<string, unknown> {
  const { images } = charts.envoyGateway;
  return {
    global: { images: { envoyGateway: { image: imageRef(images.controller), pullPolicy: "IfNotPresent" } } },
    deployment: {
      replicas: settings.envoyGateway.replicas,
      envoyGateway: { resources: operatorResources.envoyGateway },
    },
    ...(settings.envoyGateway.replicas > 1 ? { podDisruptionBudget: { minAvailable: 1 } } : {}),
  };
}

/**
 * The data plane of every Gateway of the class: the Envoy image pinned (not the controller's default), replicas and
 * resources from the stack, and `externalTrafficPolicy: Local` so the load balancer keeps the client's address, which
 * the per-client rate limit keys on. `npm run validate` checks it with Envoy Gateway's typed models.
 */
export function envoyProxy(settings: PlatformSettings) {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyProxy",
    metadata: { name: ENVOY_PROXY, namespace: charts.envoyGateway.namespace, labels: platformLabels("envoy-gateway") },
    spec: {
      provider: {
        type: "Kubernetes",
        kubernetes: {
          envoyDeployment: {
            replicas: settings.envoyGateway.proxyReplicas,
            container: { image: imageRef(charts.envoyGateway.images.proxy), resources: operatorResources.envoyProxy },
          },
          envoyService: { externalTrafficPolicy: "Local" },
        },
      },
    },
  };
}

export function gatewayClass() {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: GATEWAY_CLASS, labels: platformLabels("envoy-gateway") },
    spec: {
      controllerName: GATEWAY_CONTROLLER,
      parametersRef: {
        group: "gateway.envoyproxy.io",
        kind: "EnvoyProxy",
        name: ENVOY_PROXY,
        namespace: charts.envoyGateway.namespace,
      },
    },
  };
}

/**
 * Envoy Gateway, the cluster's Gateway API implementation, chosen because it is maintained by the Envoy project
 * and CNCF-hosted, and because its policy resources cover what the edge needs without annotations: local rate limits
 * per client address (BackendTrafficPolicy `clientSelectors`), request body limits, and client-side settings. Every
 * environment renders its own Gateway of this class; the controller runs each Gateway's Envoy pods here.
 */
export class EnvoyGateway extends pulumi.ComponentResource {
  constructor(name: string, args: EnvoyGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:EnvoyGateway`, name, {}, opts);
    const release = chartRelease(
      "envoy-gateway",
      { chart: charts.envoyGateway, namespace: args.namespace, values: envoyGatewayValues(args.settings) },
      { parent: this },
    );
    // Both need the CRDs the release installs.
    const proxy = new k8s.apiextensions.CustomResource("envoy-proxy", envoyProxy(args.settings), {
      parent: this,
      dependsOn: [release],
    });
    new k8s.apiextensions.CustomResource("gateway-class", gatewayClass(), { parent: this, dependsOn: [release, proxy] });
    this.registerOutputs({});
  }
}
