// The type of each object: an apiVersion and kind the pack knows (a typo would let a privileged workload pass
// every policy unseen), fields of the types the Kubernetes schema gives them, and no deprecated API version.
import type { Policies } from "@pulumi/policy";
import { typePolicy } from "../lib/define";
import { apiVersionsOfKind, deprecationOf, isKnownType, PULUMI_KUBERNETES_TYPES } from "../lib/kinds";
import { apiVersionOf, schemaProblems } from "../lib/schema";

function suggestion(kind: string): string {
  const candidates = apiVersionsOfKind(kind).filter((candidate) => !deprecationOf(candidate.apiVersion, candidate.kind)?.removedIn);
  return candidates.length === 0
    ? "check apiVersion and kind, or add the CRD to CUSTOM_RESOURCES in policy/lib/kinds.ts"
    : `did you mean ${candidates.map((candidate) => `${candidate.apiVersion} ${candidate.kind}`).join(" or ")}?`;
}

const knownKind = typePolicy({
  name: "kubernetes-known-kind",
  description: "Every object must be a Kubernetes type or a custom resource the pack knows, since the other policies recognise objects by apiVersion and kind: fix a misspelt apiVersion or kind, or add the CRD to the pack's table of custom resources.",
  severity: "high",
  // A warning by default; staging and prod (and `npm run policy -- check --strict-kinds`) make it mandatory.
  enforcementLevel: "advisory",
  counterparts: {},
  check: (args) => {
    if (isKnownType(args.type)) {
      return [];
    }
    const apiVersion = apiVersionOf(args.type);
    const kind = args.type.split(":").at(-1) ?? "";
    return apiVersion === undefined
      ? [`${args.type} is not a Kubernetes type token (kubernetes:<group>/<version>:<Kind>) nor one of ${PULUMI_KUBERNETES_TYPES.length} Pulumi Kubernetes resources; check the type`]
      : [`apiVersion "${apiVersion}" with kind "${kind}" is neither a Kubernetes type nor a known custom resource, so the policies that look for that kind may skip it; ${suggestion(kind)}`];
  },
});

const schemaValid = typePolicy({
  name: "kubernetes-schema",
  description: "Every field of a built-in Kubernetes object must have the type its schema gives it (the API server rejects the object otherwise, and the other policies cannot read it): fix each field the violation names.",
  severity: "high",
  counterparts: { kubeLinter: ["schema-validation"] },
  check: (args) => (schemaProblems(args.type, args.props) ?? []).map((problem) => `${problem}; fix the field (the API server would reject the object)`),
});

const deprecatedApiVersion = typePolicy({
  name: "deprecated-api-version",
  description: "Objects must not use a deprecated API version, which the API server stops serving: move the object to the replacement API version the violation names.",
  severity: "medium",
  counterparts: { kubeLinter: ["no-extensions-v1beta"], kubeScore: ["stable-version"] },
  check: (args) => {
    const apiVersion = apiVersionOf(args.type);
    const kind = args.type.split(":").at(-1) ?? "";
    const deprecation = apiVersion === undefined ? undefined : deprecationOf(apiVersion, kind);
    if (!deprecation) {
      return [];
    }
    const status = deprecation.removedIn ? `is no longer served since Kubernetes ${deprecation.removedIn}` : "is deprecated";
    return [`${apiVersion} ${kind} ${status}; use ${deprecation.replacement}`];
  },
});

export const apiTypePolicies: Policies = [knownKind, schemaValid, deprecatedApiVersion];
