// Fixtures for the policy tests: a workload that passes every policy, the objects around it that the stack
// policies look for, and helpers to run the pack and read one policy's violations.
import * as assert from "assert";
import type { PolicyPackConfig } from "@pulumi/policy";
import { loadPolicyConfig, PolicyReport, runPolicies, StackResource } from "../../policy/runner";

export { loadPolicyConfig };

export const NAMESPACE = "shop";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function object(apiVersion: string, kind: string, name: string, body: Json = {}, namespace: string | undefined = NAMESPACE): StackResource {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const type = `kubernetes:${group}/${version}:${kind}`;
  return {
    type,
    name,
    urn: `urn:pulumi:test::fixtures::${type}::${name}`,
    props: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...body },
  };
}

export function container(name: string): Json {
  return {
    name,
    image: "ghcr.io/football-prediction/service:1.4.2",
    imagePullPolicy: "Always",
    ports: [{ containerPort: 8000 }],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    livenessProbe: { httpGet: { path: "/health", port: 8000 } },
    readinessProbe: { httpGet: { path: "/ready", port: 8000 } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
  };
}

export function podSpec(app: string): Json {
  return {
    serviceAccountName: app,
    automountServiceAccountToken: false,
    priorityClassName: "serving",
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container(app)],
  };
}

export function template(app: string): Json {
  return { metadata: { labels: { app } }, spec: podSpec(app) };
}

/** Spreads a workload's replicas over nodes, as replica-spread asks of one that runs more than one. */
export function spread(app: string): Json {
  return { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app } } };
}

export function deployment(name = "web", replicas = 1): StackResource {
  const pod = template(name);
  if (replicas > 1) {
    pod.spec.topologySpreadConstraints = [spread(name)];
  }
  return object("apps/v1", "Deployment", name, { spec: { replicas, selector: { matchLabels: { app: name } }, template: pod } });
}

export function statefulSet(name = "db"): StackResource {
  return object("apps/v1", "StatefulSet", name, {
    spec: {
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name),
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    },
  });
}

export function cronJob(name = "backup", annotations: Record<string, string> = {}): StackResource {
  const jobPod = { ...podSpec(name), restartPolicy: "Never" };
  const resource = object("batch/v1", "CronJob", name, {
    spec: {
      schedule: "0 3 * * *",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { activeDeadlineSeconds: 3600, template: { metadata: { labels: { app: name } }, spec: jobPod } } },
    },
  });
  resource.props.metadata = { ...(resource.props.metadata as Json), annotations };
  return resource;
}

export function defaultDeny(namespace = NAMESPACE): StackResource {
  return object("networking.k8s.io/v1", "NetworkPolicy", `default-deny-${namespace}`, { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }, namespace);
}

export function allow(app: string, namespace = NAMESPACE): StackResource {
  return object(
    "networking.k8s.io/v1",
    "NetworkPolicy",
    `allow-${app}`,
    {
      spec: {
        podSelector: { matchLabels: { app } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: "frontend" } } }] }],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      },
    },
    namespace,
  );
}

export function serviceAccount(name: string, automount?: boolean): StackResource {
  return object("v1", "ServiceAccount", name, automount === undefined ? {} : { automountServiceAccountToken: automount });
}

/** A workload with everything the pack asks for around it: its ServiceAccount and NetworkPolicies. */
export function compliantStack(...workloads: StackResource[]): StackResource[] {
  const apps = workloads.map((workload) => workload.name);
  return [...workloads, ...apps.map((app) => serviceAccount(app)), defaultDeny(), ...apps.map((app) => allow(app))];
}

/** A deep copy with `change` applied to the copy's props. */
export function modified(resource: StackResource, change: (props: Json) => void): StackResource {
  const copy = structuredClone(resource);
  change(copy.props);
  return copy;
}

/** The pod spec inside a Deployment-like props object. */
export function pod(props: Json): Json {
  return props.kind === "CronJob" ? props.spec.jobTemplate.spec.template.spec : props.kind === "Pod" ? props.spec : props.spec.template.spec;
}

export async function report(resources: StackResource[], config: PolicyPackConfig = {}): Promise<PolicyReport> {
  return runPolicies(resources, config, { stack: "test" });
}

/** A deep copy of a workload with `change` applied to its pod spec. */
export function withPod(resource: StackResource, change: (spec: Json) => void): StackResource {
  return modified(resource, (props) => change(pod(props)));
}

/** A bare Pod built from the compliant pod spec with `change` applied. */
export function bare(change: (spec: Json) => void): StackResource {
  const spec = podSpec("tool");
  change(spec);
  return object("v1", "Pod", "tool", { spec });
}

/** A workload with one compliant init container, changed by `change`. */
export function withInit(resource: StackResource, change: (init: Json) => void): StackResource {
  return withPod(resource, (spec) => {
    const init = container("init");
    change(init);
    spec.initContainers = [init];
  });
}

export interface PolicyCase {
  name: string;
  resources: StackResource[];
  expected: string[];
  /** The policy's config properties for this case (a PSS control's `version`, an allow-list, …). */
  config?: Json;
}

/** One `it` per case: the policy reports exactly `expected` (in order) for the resources. */
export function itReports(policyName: string, cases: PolicyCase[]): void {
  for (const { name, resources, expected, config } of cases) {
    it(name, async () => {
      assert.deepStrictEqual(await messages(resources, policyName, config ? { [policyName]: config } : {}), expected);
    });
  }
}

/** The messages one policy reported. */
export async function messages(resources: StackResource[], policyName: string, config: PolicyPackConfig = {}): Promise<string[]> {
  const result = await report(resources, config);
  return result.violations.filter((violation) => violation.policyName === policyName).map((violation) => violation.message);
}
