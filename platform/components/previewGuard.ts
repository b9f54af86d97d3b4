import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PREVIEW_SERVICE_ACCOUNT } from "../../infra/components/previewAccess";
import { platformLabels } from "../labels";
import { TYPE_PREFIX } from "./chartRelease";

/** The preview identities: the `pulumi-preview` ServiceAccount of any namespace (an environment stack's). */
export const PREVIEW_IDENTITY_EXPRESSION = `request.userInfo.username.matches('^system:serviceaccount:[^:]+:${PREVIEW_SERVICE_ACCOUNT}$')`;

/** The one rule: a preview identity's writes are dry runs, or nothing. */
export const DRY_RUN_EXPRESSION = "request.dryRun == true";

export const PREVIEW_GUARD_NAME = "pulumi-preview-dry-run-only";

/**
 * Keeps every environment's preview identity (infra/components/previewAccess.ts) to dry runs. Kubernetes authorises
 * a dry run like the real request, so the identity holds create, patch, escalate and bind; this ValidatingAdmissionPolicy
 * (admissionregistration.k8s.io/v1, Kubernetes 1.30+) refuses each of its writes that is not a dry run, before
 * anything is stored. It belongs to the platform because it guards the whole cluster and an environment stack must
 * not be able to lift it. `failurePolicy: Fail`: if the expression cannot be evaluated, the write is refused.
 */
export class PreviewGuard extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:PreviewGuard`, name, {}, opts);
    const labels = platformLabels("preview-guard");
    const child = { parent: this };

    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      "pulumi-preview-dry-run-only",
      {
        metadata: { name: PREVIEW_GUARD_NAME, labels },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ["*"],
                apiVersions: ["*"],
                resources: ["*", "*/*"],
                operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"],
              },
            ],
          },
          matchConditions: [{ name: "preview-identity", expression: PREVIEW_IDENTITY_EXPRESSION }],
          validations: [
            {
              expression: DRY_RUN_EXPRESSION,
              message: `${PREVIEW_SERVICE_ACCOUNT} may only dry-run: it previews, the deploy workflow changes`,
              reason: "Forbidden",
            },
          ],
        },
      },
      child,
    );
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      "pulumi-preview-dry-run-only",
      {
        metadata: { name: PREVIEW_GUARD_NAME, labels },
        spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
      },
      child,
    );
    this.registerOutputs({});
  }
}
