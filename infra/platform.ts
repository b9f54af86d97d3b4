/**
 * The environment's view of its cluster: the platform stack's outputs (platform/outputs.ts), read once through a
 * StackReference and validated, as plain values. Plain, not Outputs: the NetworkPolicies, the Cluster's storage and
 * the issuer of every Certificate are built from them, and a platform stack is always deployed before the
 * environments on its cluster, so its outputs are known at preview time too.
 */
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_OUTPUT_NAMES, parsePlatformOutputs, type PlatformOutputs } from "../platform/outputs";
import { PROJECT, StackConfigError, type Settings } from "./config";

export type Platform = PlatformOutputs;

export async function loadPlatform(settings: Settings): Promise<Platform> {
  const name = settings.platform.stack;
  const ref = new pulumi.StackReference("platform", { name });
  const details = await Promise.all(PLATFORM_OUTPUT_NAMES.map((output) => ref.getOutputDetails(output)));
  const platform = parsePlatformOutputs(
    name,
    Object.fromEntries(PLATFORM_OUTPUT_NAMES.map((output, i) => [output, details[i].value ?? details[i].secretValue])),
  );
  if (!platform.environments.includes(settings.environment)) {
    throw new StackConfigError(
      `stack "${pulumi.getStack()}": config key "${PROJECT}:platform.stack" names ${name}, whose cluster ` +
        `"${platform.cluster}" hosts ${platform.environments.join(", ")}, not ${settings.environment}`,
    );
  }
  return platform;
}

/** The ClusterIssuer `ingress.tls.issuer` names; an ACME issuer the platform does not have is a config error. */
export function issuerName(settings: Settings, platform: Platform): string {
  const key = ({ "self-signed": "selfSigned", "acme-staging": "acmeStaging", "acme-production": "acmeProduction" } as const)[
    settings.ingress.tls.issuer
  ];
  const name = platform.issuers[key];
  if (name === undefined) {
    throw new StackConfigError(
      `stack "${pulumi.getStack()}": config key "${PROJECT}:ingress.tls.issuer" is ${settings.ingress.tls.issuer}, ` +
        `which the platform stack ${settings.platform.stack} does not provide`,
    );
  }
  return name;
}
