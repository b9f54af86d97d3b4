import * as assert from "assert";
import { itReports, messages, object } from "./fixtures";

const HTTPS = { name: "https", protocol: "HTTPS", port: 443, tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } };
const HTTP = { name: "http", protocol: "HTTP", port: 80 };

function gateway(name: string, namespace: string, listeners: object[]) {
  return object("gateway.networking.k8s.io/v1", "Gateway", name, { spec: { gatewayClassName: "envoy", listeners } }, namespace);
}

function route(name: string, namespace: string, parentRef: Record<string, unknown>, rules: object[]) {
  return object("gateway.networking.k8s.io/v1", "HTTPRoute", name, { spec: { parentRefs: [parentRef], rules } }, namespace);
}

function namespaceObject(name: string, labels: Record<string, string>) {
  return object("v1", "Namespace", name, { metadata: { name, labels } }, undefined);
}

const toApi = [{ matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: [{ name: "api", port: 8000 }] }];
const redirect = [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }];

describe("gateway policies", () => {
  describe("httproute-gateway-allowed", () => {
    const selectorListener = { ...HTTPS, allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "edge/routes": "true" } } } } };

    it("allows a route on its own namespace's Gateway, and one from a namespace the listener's selector admits", async () => {
      const resources = [
        gateway("edge", "shop", [{ ...HTTPS, allowedRoutes: { namespaces: { from: "Same" } } }]),
        route("api", "shop", { name: "edge", sectionName: "https" }, toApi),
        gateway("shared", "edge", [selectorListener]),
        namespaceObject("shop", { "edge/routes": "true" }),
        route("shared-api", "shop", { name: "shared", namespace: "edge" }, toApi),
      ];
      assert.deepStrictEqual(await messages(resources, "httproute-gateway-allowed"), []);
    });

    it("matches a selector on the name label every namespace carries", async () => {
      const byName = { ...HTTPS, allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } } } };
      const resources = [gateway("shared", "edge", [byName]), route("api", "shop", { name: "shared", namespace: "edge" }, toApi)];
      assert.deepStrictEqual(await messages(resources, "httproute-gateway-allowed"), []);
    });

    itReports("httproute-gateway-allowed", [
      {
        name: "flags a route from another namespace on a listener that admits its own namespace only (the default)",
        resources: [gateway("shared", "edge", [HTTPS]), route("api", "shop", { name: "shared", namespace: "edge", sectionName: "https" }, toApi)],
        expected: [
          'HTTPRoute "api" in namespace "shop" attaches to Gateway "edge/shared", whose listener "https" refuses it: it admits routes from its own namespace "edge" only (allowedRoutes.namespaces.from: Same); admit the route\'s namespace in that listener\'s allowedRoutes (a label Selector), or move the route',
        ],
      },
      {
        name: "flags a route from a namespace the listener's selector does not match",
        resources: [
          gateway("shared", "edge", [selectorListener]),
          namespaceObject("shop", { team: "shop" }),
          route("api", "shop", { name: "shared", namespace: "edge" }, toApi),
        ],
        expected: [
          'HTTPRoute "api" in namespace "shop" attaches to Gateway "edge/shared", whose listener "https" refuses it: its allowedRoutes.namespaces.selector does not match namespace "shop"; admit the route\'s namespace in that listener\'s allowedRoutes (a label Selector), or move the route',
        ],
      },
      {
        name: "flags a route on a Gateway the stack does not define, and one naming a listener the Gateway lacks",
        resources: [
          gateway("edge", "shop", [HTTPS]),
          route("elsewhere", "shop", { name: "shared", namespace: "edge" }, toApi),
          route("typo", "shop", { name: "edge", sectionName: "htps" }, toApi),
        ],
        expected: [
          'HTTPRoute "elsewhere" in namespace "shop" attaches to Gateway "edge/shared", which this stack does not define, so its allowedRoutes cannot be checked; attach to the stack\'s own Gateway',
          'HTTPRoute "typo" in namespace "shop" attaches to Gateway "shop/edge", which has no listener htps; name one of its listeners in sectionName',
        ],
      },
    ]);
  });

  describe("gateway-plain-http-redirect-only", () => {
    const production = { production: true };
    const edge = gateway("edge", "shop", [HTTPS, HTTP]);

    it("allows a plain-HTTP listener that only redirects, and checks nothing outside production", async () => {
      const resources = [edge, route("redirect", "shop", { name: "edge", sectionName: "http" }, redirect), route("api", "shop", { name: "edge", sectionName: "https" }, toApi)];
      assert.deepStrictEqual(await messages(resources, "gateway-plain-http-redirect-only", { "gateway-plain-http-redirect-only": production }), []);
      const served = [edge, route("api", "shop", { name: "edge", sectionName: "http" }, toApi)];
      assert.deepStrictEqual(await messages(served, "gateway-plain-http-redirect-only"), []);
    });

    itReports("gateway-plain-http-redirect-only", [
      {
        name: "flags a route that serves a backend over plain HTTP, also when it names no listener",
        config: production,
        resources: [edge, route("api", "shop", { name: "edge" }, toApi)],
        expected: [
          'HTTPRoute "shop/api" serves plain HTTP on listener "http" of Gateway "shop/edge"; attach it to the HTTPS listener, and on the HTTP listener only redirect (a RequestRedirect filter to scheme https, no backendRefs)',
        ],
      },
      {
        name: "flags a redirect to plain HTTP",
        config: production,
        resources: [edge, route("loop", "shop", { name: "edge", sectionName: "http" }, [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "http" } }] }])],
        expected: [
          'HTTPRoute "shop/loop" serves plain HTTP on listener "http" of Gateway "shop/edge"; attach it to the HTTPS listener, and on the HTTP listener only redirect (a RequestRedirect filter to scheme https, no backendRefs)',
        ],
      },
    ]);
  });
});
