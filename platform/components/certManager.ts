import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts, type ImagePin } from "../charts";
import type { PlatformSettings } from "../config";
import { GATEWAY, type PlatformOutputs } from "../outputs";
import { platformLabels } from "../labels";
import { chartRelease, TYPE_PREFIX } from "./chartRelease";
import { operatorResources } from "./resources";

export interface CertManagerArgs {
  settings: PlatformSettings;
  namespace: pulumi.Output<string>;
}

/** The ACME directories of Let's Encrypt: staging for trying a setup (untrusted, generous rate limits), production. */
export const ACME_SERVERS = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  production: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

/** The ClusterIssuer names every environment uses; exported through the stack outputs. */
export const ISSUER_NAMES = {
  selfSigned: "selfsigned",
  acmeStaging: "letsencrypt-staging",
  acmeProduction: "letsencrypt-production",
} as const;

function image(pin: ImagePin) {
  return { registry: pin.registry, repository: pin.repository, tag: pin.tag };
}

/** A PodDisruptionBudget only where there is more than one pod to keep: with one, it would block every drain. */
function disruptionBudget(replicas: number) {
  return replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false };
}

/** The chart values: every image pinned, CRDs installed and kept on uninstall, replicas from the stack. */
export function certManagerValues(settings: PlatformSettings): Record<string, unknown> {
  const { images } = charts.certManager;
  const replicas = settings.certManager.replicas;
  return {
    crds: { enabled: true, keep: true },
    // Gateway support: a Gateway annotated with `cert-manager.io/cluster-issuer` gets a Certificate for each HTTPS
    // listener's host, and HTTP-01 solvers answer through an HTTPRoute on the Gateway instead of an Ingress.
    config: {
      apiVersion: "controller.config.cert-manager.io/v1alpha1",
      kind: "ControllerConfiguration",
      enableGatewayAPI: true,
    },
    global: { leaderElection: { namespace: charts.certManager.namespace } },
    replicaCount: replicas,
    podDisruptionBudget: disruptionBudget(replicas),
    image: image(images.controller),
    resources: operatorResources.certManager,
    // Metrics stay on; the ServiceMonitor follows with the Prometheus Operator (issue 11).
    prometheus: { enabled: true, servicemonitor: { enabled: false } },
    webhook: {
      replicaCount: replicas,
      podDisruptionBudget: disruptionBudget(replicas),
      image: image(images.webhook),
      resources: operatorResources.certManagerWebhook,
    },
    cainjector: {
      replicaCount: replicas,
      podDisruptionBudget: disruptionBudget(replicas),
      image: image(images.cainjector),
      resources: operatorResources.certManagerCainjector,
    },
    acmesolver: { image: image(images.acmesolver) },
    startupapicheck: { image: image(images.startupapicheck) },
  };
}

interface ClusterIssuer {
  apiVersion: "cert-manager.io/v1";
  kind: "ClusterIssuer";
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/**
 * The ClusterIssuers. Their schema is cert-manager's CRD: `npm run validate -- --crds <dir>` checks the rendered
 * objects against it (the typed @kubernetes-models/cert-manager release matching this repository's kubernetes-models
 * predates `gatewayHTTPRoute`, so it is not used here).
 */
export function clusterIssuers(settings: PlatformSettings): ClusterIssuer[] {
  const issuer = (name: string, spec: Record<string, unknown>): ClusterIssuer => ({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name, labels: platformLabels("cert-manager") },
    spec,
  });
  const issuers = [issuer(ISSUER_NAMES.selfSigned, { selfSigned: {} })];
  const acme = settings.certManager.acme;
  if (acme !== undefined) {
    for (const [which, name] of [
      ["staging", ISSUER_NAMES.acmeStaging],
      ["production", ISSUER_NAMES.acmeProduction],
    ] as const) {
      issuers.push(
        issuer(name, {
          acme: {
            server: ACME_SERVERS[which],
            email: acme.email,
            privateKeySecretRef: { name: `${name}-account-key` },
            // No namespace in the parentRef: the solver's HTTPRoute is created in the Certificate's namespace, so it
            // attaches to that environment's own Gateway, on its plain-HTTP listener.
            solvers: [
              {
                http01: {
                  gatewayHTTPRoute: {
                    parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY.name, sectionName: GATEWAY.httpListener }],
                  },
                },
              },
            ],
          },
        }),
      );
    }
  }
  return issuers;
}

/**
 * cert-manager and the ClusterIssuers every environment's certificates come from. Environments stop creating
 * ClusterIssuers of their own: they name one of `issuerNames` in their Certificates.
 */
export class CertManager extends pulumi.ComponentResource {
  public readonly issuerNames: PlatformOutputs["issuers"];

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:CertManager`, name, {}, opts);
    const release = chartRelease(
      "cert-manager",
      { chart: charts.certManager, namespace: args.namespace, values: certManagerValues(args.settings) },
      { parent: this },
    );
    // The issuers need cert-manager's CRDs and its webhook, which the release installs and waits for.
    for (const issuer of clusterIssuers(args.settings)) {
      new k8s.apiextensions.CustomResource(`cluster-issuer-${issuer.metadata.name}`, issuer, {
        parent: this,
        dependsOn: [release],
      });
    }
    const acme = args.settings.certManager.acme !== undefined;
    this.issuerNames = {
      selfSigned: ISSUER_NAMES.selfSigned,
      ...(acme ? { acmeStaging: ISSUER_NAMES.acmeStaging, acmeProduction: ISSUER_NAMES.acmeProduction } : {}),
    };
    this.registerOutputs({ issuerNames: this.issuerNames });
  }
}
