import * as assert from "assert";
import { allow, compliantStack, cronJob, defaultDeny, deployment, itReports, messages, modified, object, report, serviceAccount } from "./fixtures";

function ingress(spec: Record<string, unknown>) {
  return object("networking.k8s.io/v1", "Ingress", "web", { spec });
}

function service(type?: string) {
  return object("v1", "Service", "web", { spec: { ...(type ? { type } : {}), selector: { app: "web" }, ports: [{ port: 80, targetPort: 8000 }] } });
}

const rules = [{ host: "api.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }];

describe("network and exposure policies", () => {
  describe("ingress-tls", () => {
    it("allows TLS covering every host, by name or wildcard", async () => {
      const exact = ingress({ rules, tls: [{ hosts: ["api.example.com"], secretName: "api-tls" }] });
      const wildcard = modified(ingress({ rules, tls: [{ hosts: ["*.example.com"], secretName: "wildcard-tls" }] }), (props) => (props.metadata.name = "wild"));
      assert.deepStrictEqual(await messages([exact, wildcard], "ingress-tls"), []);
    });

    it("flags an Ingress without TLS", async () => {
      assert.deepStrictEqual(await messages([ingress({ rules })], "ingress-tls"), ["Ingress has no spec.tls; add a tls entry with the certificate Secret for its hosts"]);
    });

    it("flags a host the TLS entries do not cover", async () => {
      const resource = ingress({
        rules: [...rules, { host: "a.b.example.com" }],
        tls: [{ hosts: ["*.example.com"], secretName: "wildcard-tls" }],
      });
      assert.deepStrictEqual(await messages([resource], "ingress-tls"), ['Ingress host "a.b.example.com" is not covered by spec.tls; add it to the hosts of a tls entry']);
    });
  });

  describe("service-type-allowed", () => {
    it("allows ClusterIP, and a LoadBalancer the config allows", async () => {
      assert.deepStrictEqual(await messages([service(), service("ClusterIP")], "service-type-allowed"), []);
      assert.deepStrictEqual(await messages([service("LoadBalancer")], "service-type-allowed", { "service-type-allowed": { allowedTypes: ["LoadBalancer"] } }), []);
    });

    it("flags a LoadBalancer", async () => {
      assert.deepStrictEqual(await messages([service("LoadBalancer")], "service-type-allowed"), [
        "Service type LoadBalancer exposes it outside the cluster; use type ClusterIP behind the Ingress, or add LoadBalancer to allowedTypes in this policy's config",
      ]);
    });

    it("flags a NodePort even when LoadBalancer is allowed", async () => {
      assert.deepStrictEqual(await messages([service("NodePort")], "service-type-allowed", { "service-type-allowed": { allowedTypes: ["LoadBalancer"] } }), [
        "Service type NodePort exposes it outside the cluster; use type ClusterIP behind the Ingress, or add NodePort to allowedTypes in this policy's config",
      ]);
    });
  });

  describe("namespace-default-deny", () => {
    const web = deployment("web");

    it("allows a namespace with a default-deny policy, and requires egress only when configured", async () => {
      const ingressOnly = object("networking.k8s.io/v1", "NetworkPolicy", "deny", { spec: { podSelector: {} } });
      assert.deepStrictEqual(await messages([web, ingressOnly], "namespace-default-deny"), []);
      assert.deepStrictEqual(await messages(compliantStack(web), "namespace-default-deny", { "namespace-default-deny": { requireEgress: true } }), []);
    });

    it("flags a namespace whose only policy allows traffic, on its Namespace resource", async () => {
      const namespace = object("v1", "Namespace", "shop", {}, undefined);
      const result = await report([namespace, web, allow("web")]);
      const violations = result.violations.filter((violation) => violation.policyName === "namespace-default-deny");
      assert.deepStrictEqual(
        violations.map(({ message, urn }) => ({ message, urn })),
        [
          {
            message: 'namespace "shop" runs workloads but no NetworkPolicy denies ingress traffic by default; add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] and no rules',
            urn: namespace.urn,
          },
        ],
      );
    });

    it("flags missing egress deny when required, and a deny policy in another namespace", async () => {
      const ingressOnly = object("networking.k8s.io/v1", "NetworkPolicy", "deny", { spec: { podSelector: {}, policyTypes: ["Ingress"] } });
      const elsewhere = modified(web, (props) => (props.metadata.namespace = "jobs"));
      assert.deepStrictEqual(await messages([web, ingressOnly, elsewhere], "namespace-default-deny", { "namespace-default-deny": { requireEgress: true } }), [
        'namespace "shop" runs workloads but no NetworkPolicy denies egress traffic by default; add a NetworkPolicy with podSelector: {}, policyTypes: [Egress] and no rules',
        'namespace "jobs" runs workloads but no NetworkPolicy denies ingress and egress traffic by default; add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and no rules',
      ]);
    });
  });

  describe("workload-network-policy", () => {
    it("allows workloads selected by matchLabels or matchExpressions", async () => {
      const byExpression = object("networking.k8s.io/v1", "NetworkPolicy", "allow-jobs", {
        spec: { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["backup", "report"] }] }, egress: [{}] },
      });
      assert.deepStrictEqual(await messages([deployment("web"), allow("web"), cronJob("backup"), byExpression, defaultDeny()], "workload-network-policy"), []);
    });

    it("flags a workload selected only by namespace-wide policies", async () => {
      const dns = object("networking.k8s.io/v1", "NetworkPolicy", "allow-dns", { spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] } });
      assert.deepStrictEqual(await messages([deployment("web"), defaultDeny(), dns, serviceAccount("web")], "workload-network-policy"), [
        'Deployment "web" in namespace "shop" is not selected by any NetworkPolicy that allows traffic; add a NetworkPolicy whose podSelector matches its pod labels (app=web) and allows the traffic it needs',
      ]);
    });

    it("counts a baseline that only leaves some pods out as namespace-wide", async () => {
      const dnsExceptPage = object("networking.k8s.io/v1", "NetworkPolicy", "allow-dns", {
        spec: {
          podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["page"] }] },
          policyTypes: ["Egress"],
          egress: [{ ports: [{ port: 53, protocol: "UDP" }] }],
        },
      });
      assert.deepStrictEqual(await messages([deployment("web"), defaultDeny(), dnsExceptPage, serviceAccount("web")], "workload-network-policy"), [
        'Deployment "web" in namespace "shop" is not selected by any NetworkPolicy that allows traffic; add a NetworkPolicy whose podSelector matches its pod labels (app=web) and allows the traffic it needs',
      ]);
    });

    it("flags a CronJob whose allow policy selects other labels", async () => {
      assert.deepStrictEqual(await messages([cronJob("backup"), allow("web"), defaultDeny()], "workload-network-policy"), [
        'CronJob "backup" in namespace "shop" is not selected by any NetworkPolicy that allows traffic; add a NetworkPolicy whose podSelector matches its pod labels (app=backup) and allows the traffic it needs',
      ]);
    });

    it("honours exemptNamespaces", async () => {
      assert.deepStrictEqual(await messages([cronJob("backup")], "workload-network-policy", { "workload-network-policy": { exemptNamespaces: ["shop"] } }), []);
    });
  });

  describe("network-policy-directions", () => {
    const ingressOnly = (name: string, podSelector: Record<string, unknown>) =>
      object("networking.k8s.io/v1", "NetworkPolicy", name, { spec: { podSelector, ingress: [{ from: [{ podSelector: {} }] }] } });
    const egressPolicy = (name: string, podSelector: Record<string, unknown>) =>
      object("networking.k8s.io/v1", "NetworkPolicy", name, { spec: { podSelector, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] } });
    itReports("network-policy-directions", [
      { name: "allows pods covered in both directions by a namespace default deny", resources: [deployment("web"), defaultDeny()], expected: [] },
      { name: "allows one policy for ingress and another, written for the pods, for egress", resources: [deployment("web"), ingressOnly("in", {}), egressPolicy("out", { matchLabels: { app: "web" } })], expected: [] },
      {
        name: "flags pods covered only for ingress (policyTypes defaults to Ingress without egress rules)",
        resources: [deployment("web"), ingressOnly("in", { matchLabels: { app: "web" } })],
        expected: ['Deployment "web" in namespace "shop" is not isolated for egress: no NetworkPolicy selecting its pods (app=web) has Egress in policyTypes; add it to a policy that selects them, or a default deny'],
      },
      {
        name: "flags pods no policy selects, and policies of another namespace",
        resources: [cronJob("backup"), egressPolicy("other", {}), defaultDeny("ops")],
        expected: ['CronJob "backup" in namespace "shop" is not isolated for ingress: no NetworkPolicy selecting its pods (app=backup) has Ingress in policyTypes; add it to a policy that selects them, or a default deny'],
      },
      {
        name: "flags both directions when nothing selects the pods",
        resources: [deployment("web"), egressPolicy("other", { matchLabels: { app: "api" } })],
        expected: ['Deployment "web" in namespace "shop" is not isolated for ingress or egress: no NetworkPolicy selecting its pods (app=web) has Ingress and Egress in policyTypes; add them to a policy that selects them, or a default deny'],
      },
    ]);
  });
});
