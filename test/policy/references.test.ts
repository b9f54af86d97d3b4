import type { StackResource } from "../../policy/runner";
import { cronJob, deployment, itReports, object, serviceAccount, withPod } from "./fixtures";

const web = deployment("web");

function service(name: string, selector?: Record<string, string>, type?: string): StackResource {
  return object("v1", "Service", name, { spec: { ...(type ? { type } : {}), ...(selector ? { selector } : {}), ports: [{ port: 80 }] } });
}

/** The web Deployment naming a ConfigMap, a Secret and a claim in every way a pod can. */
const referencing = withPod(web, (spec) => {
  spec.volumes = [
    { name: "config", configMap: { name: "web-config" } },
    { name: "tls", secret: { secretName: "web-tls" } },
    { name: "data", persistentVolumeClaim: { claimName: "web-data" } },
    { name: "bundle", projected: { sources: [{ configMap: { name: "kube-root-ca.crt" } }, { secret: { name: "web-token" } }] } },
  ];
  spec.containers[0].envFrom = [{ secretRef: { name: "web-env" } }];
  spec.containers[0].env = [{ name: "MODE", valueFrom: { configMapKeyRef: { name: "web-config", key: "mode" } } }];
  spec.imagePullSecrets = [{ name: "registry" }];
});

const defined = [
  serviceAccount("web"),
  object("v1", "ConfigMap", "web-config"),
  object("v1", "Secret", "web-env"),
  object("v1", "Secret", "web-token"),
  object("v1", "PersistentVolumeClaim", "web-data"),
  object("cert-manager.io/v1", "Certificate", "web", { spec: { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { name: "ca" } } }),
];

function missing(kind: string, name: string, field: string): string {
  return `Deployment "web" names ${kind} "${name}" (${field}), which no resource in namespace "shop" defines; define it, or list "${kind}/shop/${name}" in externalObjects if it is created outside the program`;
}

describe("reference policies", () => {
  describe("workload-references-exist", () => {
    itReports("workload-references-exist", [
      { name: "allows references to objects the stack defines, cert-manager creates or every namespace has", config: { externalObjects: ["Secret/shop/registry"] }, resources: [referencing, ...defined], expected: [] },
      {
        name: "allows optional references and the Secrets CloudNativePG creates for a Cluster",
        resources: [
          withPod(web, (spec) => {
            spec.volumes = [{ name: "maybe", configMap: { name: "absent", optional: true } }];
            spec.containers[0].env = [{ name: "DB", valueFrom: { secretKeyRef: { name: "db-app", key: "uri" } } }];
          }),
          serviceAccount("web"),
          object("postgresql.cnpg.io/v1", "Cluster", "db", { spec: { instances: 2 } }),
        ],
        expected: [],
      },
      {
        name: "flags each missing ServiceAccount, ConfigMap, Secret, claim and pull Secret",
        resources: [referencing],
        expected: [
          missing("ServiceAccount", "web", "serviceAccountName"),
          missing("ConfigMap", "web-config", "volumes[config].configMap"),
          missing("Secret", "web-tls", "volumes[tls].secret"),
          missing("PersistentVolumeClaim", "web-data", "volumes[data].persistentVolumeClaim"),
          missing("Secret", "web-token", "volumes[bundle].projected"),
          missing("Secret", "web-env", 'container "web" envFrom'),
          missing("ConfigMap", "web-config", 'container "web" env MODE'),
          missing("Secret", "registry", "imagePullSecrets"),
        ],
      },
      {
        name: "flags an object defined in another namespace",
        resources: [web, { ...serviceAccount("web"), props: { ...serviceAccount("web").props, metadata: { name: "web", namespace: "other" } } }],
        expected: [missing("ServiceAccount", "web", "serviceAccountName")],
      },
    ]);
  });

  describe("service-selects-pods", () => {
    itReports("service-selects-pods", [
      { name: "allows a Service selecting a workload's pods, one without a selector, and an ExternalName", resources: [web, service("web", { app: "web" }), service("manual"), service("ext", { app: "x" }, "ExternalName")], expected: [] },
      {
        name: "flags a Service whose selector matches no pods",
        resources: [web, cronJob("backup"), service("api", { app: "api" })],
        expected: ['Service "api" selects app=api in namespace "shop" but no workload there has such pods; fix the selector or the pod labels'],
      },
    ]);
  });

  describe("pdb-selects-pods", () => {
    itReports("pdb-selects-pods", [
      { name: "allows a budget selecting a workload", resources: [web, object("policy/v1", "PodDisruptionBudget", "web", { spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } } })], expected: [] },
      {
        name: "flags a budget matching nothing in its namespace",
        resources: [web, object("policy/v1", "PodDisruptionBudget", "api", { spec: { maxUnavailable: 1, selector: { matchLabels: { app: "api" } } } })],
        expected: ['PodDisruptionBudget "api" selects app=api in namespace "shop" but no workload there has such pods; fix the selector or the pod labels'],
      },
    ]);
  });

  describe("autoscaler-target-exists", () => {
    const hpa = (kind: string, name: string) => object("autoscaling/v2", "HorizontalPodAutoscaler", "web", { spec: { scaleTargetRef: { apiVersion: "apps/v1", kind, name }, minReplicas: 2, maxReplicas: 4 } });
    itReports("autoscaler-target-exists", [
      { name: "allows an HPA targeting a Deployment of the stack", resources: [web, hpa("Deployment", "web")], expected: [] },
      {
        name: "flags an HPA naming a missing workload, or the wrong kind",
        resources: [web, hpa("Deployment", "api"), { ...hpa("StatefulSet", "web"), name: "web-sts", urn: "urn:pulumi:test::fixtures::hpa::web-sts" }],
        expected: [
          'HorizontalPodAutoscaler "web" scales Deployment "api", which the stack does not define in namespace "shop"; fix spec.scaleTargetRef',
          'HorizontalPodAutoscaler "web" scales StatefulSet "web", which the stack does not define in namespace "shop"; fix spec.scaleTargetRef',
        ],
      },
    ]);
  });
});
