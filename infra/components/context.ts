import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";

/** What every component receives: the validated settings and the namespace (an output, so children wait for it). */
export interface StackContext {
  readonly settings: Settings;
  /** The Namespace object's name: using it orders every namespaced object after the namespace exists. */
  readonly namespace: pulumi.Output<string>;
  /** `app.kubernetes.io/instance` of every object: one per stack. */
  readonly instance: string;
}

export const TYPE_PREFIX = "football-prediction:infra";

/**
 * Options of the objects that hold data or everything else (the namespace, StatefulSets, claims): from the stack's
 * `protection` config, `protect` makes Pulumi refuse any plan that deletes or replaces them, and `retainOnDelete`
 * leaves them in the cluster when they leave the program or the stack is destroyed.
 */
export function stateful(settings: Settings): pulumi.CustomResourceOptions {
  return { protect: settings.protection.protect, retainOnDelete: settings.protection.retainOnDelete };
}
