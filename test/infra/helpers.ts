import assert from "node:assert/strict";
import { manifests, type Manifest } from "../../infra/offline/manifests";
import { platformStackOf, renderPlatformStack, renderStack, type RenderedStack } from "../../infra/offline/render";
import type { PlatformOutputs } from "../../platform/outputs";

/** The outputs of the platform stack an environment stack runs on, as the offline preview computes them. */
export async function platformOf(stack: string): Promise<PlatformOutputs> {
  const platform = platformStackOf(stack);
  assert.ok(platform, `stack ${stack} names no platform stack of this repository`);
  return (await renderPlatformStack(platform)).outputs as PlatformOutputs;
}

/** A loosely typed Kubernetes object: the tests read fields by path and assert on what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

const renders = new Map<string, Promise<RenderedStack>>();

/** Each stack renders once per mocha run, however many test files read it. */
export function rendered(stack: string): Promise<RenderedStack> {
  let render = renders.get(stack);
  if (render === undefined) {
    render = renderStack(stack);
    renders.set(stack, render);
  }
  return render;
}

export function objects(stack: RenderedStack): Manifest[] {
  return manifests(stack);
}

export function objectKey(object: K8sObject): string {
  return `${object.kind} ${object.metadata?.namespace ?? "-"}/${object.metadata?.name}`;
}

/** A content-named ConfigMap's or Secret's name without its content digest (infra/k8s.ts `contentName`). */
export function baseName(name: string): string {
  return name.replace(/-[0-9a-f]{10}$/, "");
}

/** The object of that kind and name; a ConfigMap or Secret is found by its name without the content digest. */
export function findObject(stack: RenderedStack, kind: string, name: string, namespace?: string): K8sObject {
  const found = objects(stack).filter(
    (m) =>
      m.object.kind === kind &&
      nameOf(kind, m.object as K8sObject) === name &&
      (namespace === undefined || (m.object.metadata as K8sObject).namespace === namespace),
  );
  assert.equal(found.length, 1, `${stack.stack}: expected one ${kind} ${name}, found ${found.length}`);
  return found[0].object as K8sObject;
}

export function hasObject(stack: RenderedStack, kind: string, name: string): boolean {
  return objects(stack).some((m) => m.object.kind === kind && nameOf(kind, m.object as K8sObject) === name);
}

function nameOf(kind: string, object: K8sObject): string {
  const name: string = object.metadata?.name;
  return kind === "ConfigMap" || kind === "Secret" ? baseName(name) : name;
}

export interface PodTemplate {
  owner: string;
  kind: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: K8sObject;
}

/** Every pod template of every workload kind, CronJobs included. */
export function podTemplates(stack: RenderedStack): PodTemplate[] {
  return objects(stack).flatMap(({ object }) => {
    const o = object as K8sObject;
    const template =
      o.kind === "CronJob"
        ? o.spec.jobTemplate.spec.template
        : ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind)
          ? o.spec.template
          : undefined;
    return template === undefined
      ? []
      : [
          {
            owner: objectKey(o),
            kind: o.kind,
            namespace: o.metadata.namespace,
            labels: template.metadata.labels,
            annotations: template.metadata.annotations ?? {},
            spec: template.spec,
          },
        ];
  });
}

export function containersOf(spec: K8sObject): K8sObject[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function envOf(container: K8sObject, name: string): K8sObject | undefined {
  return (container.env ?? []).find((e: K8sObject) => e.name === name);
}

/** True when every label of `selector` is on `labels`. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** A Kubernetes label selector's verdict: its matchLabels, and matchExpressions' In, NotIn, Exists, DoesNotExist. */
export function labelSelectorMatches(selector: K8sObject, labels: Record<string, string>): boolean {
  const expressions = (selector.matchExpressions ?? []) as Array<{ key: string; operator: string; values?: string[] }>;
  return (
    selects(selector.matchLabels ?? {}, labels) &&
    expressions.every(({ key, operator, values = [] }) => {
      const value = labels[key];
      if (operator === "In") return value !== undefined && values.includes(value);
      if (operator === "NotIn") return value === undefined || !values.includes(value);
      return operator === "Exists" ? value !== undefined : value === undefined;
    })
  );
}

/** Every rendered object of one kind. */
export function objectsOfKind(stack: RenderedStack, kind: string): K8sObject[] {
  return objects(stack)
    .map((m) => m.object as K8sObject)
    .filter((o) => o.kind === kind);
}

/**
 * What a team sets in prod before its first `pulumi up` (README, "Before the first deployment"): with these the
 * shipped prod file passes the deployment-readiness checks (infra/readiness.ts).
 */
export const READY_PROD: Record<string, unknown> = {
  "ingress.host": "api.kickoff-odds.net",
  backupS3AccessKeyId: { secure: "v1:offline" },
  backupS3SecretAccessKey: { secure: "v1:offline" },
  pagerRoutingKey: { secure: "v1:offline" },
  chatWebhookUrl: { secure: "v1:offline" },
};
