import { itReports, object } from "./fixtures";

const secret = (key: string) => ({ name: "alert-receivers", key });
const critical = { name: "severity", value: "critical", matchType: "=" };
const warning = { name: "severity", value: "warning", matchType: "=" };

interface Spec {
  route?: Record<string, unknown>;
  receivers?: object[];
  inhibitRules?: object[];
}

/** The AlertmanagerConfig an environment renders: critical to the pager, the rest to chat, warnings inhibited by criticals. */
function alertmanagerConfig(change: Spec = {}) {
  const spec = {
    route: { receiver: "chat", groupBy: ["alertname", "subsystem"], routes: [{ receiver: "pager", matchers: [critical], groupWait: "10s" }] },
    receivers: [
      { name: "pager", pagerdutyConfigs: [{ routingKey: secret("pager-routing-key"), sendResolved: true }] },
      { name: "chat", slackConfigs: [{ apiURL: secret("chat-webhook-url"), channel: "#alerts" }] },
    ],
    inhibitRules: [{ sourceMatch: [critical], targetMatch: [warning], equal: ["subsystem"] }],
    ...change,
  };
  return object("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig", "shop", { spec });
}

const INLINE = "is written inline; reference a key of a Secret in this namespace ({ name, key }) instead";
const IN_URL = "keep the whole URL in a Secret and reference it (urlSecret for a webhook)";

describe("AlertmanagerConfig policies", () => {
  describe("alertmanagerconfig-secret-refs", () => {
    itReports("alertmanagerconfig-secret-refs", [
      {
        name: "allows receivers whose secrets are Secret keys, and an inline webhook URL without credentials",
        resources: [
          alertmanagerConfig(),
          alertmanagerConfig({ receivers: [{ name: "hook", webhookConfigs: [{ url: "https://hooks.example.com/alert?team=shop", httpConfig: { authorization: { credentials: secret("hook-token") } } }] }] }),
        ],
        expected: [],
      },
      {
        name: "flags inline routing and service keys, API keys and HTTP credentials",
        resources: [
          alertmanagerConfig({
            receivers: [
              { name: "pager", pagerdutyConfigs: [{ routingKey: "0123456789abcdef", serviceKey: "fedcba9876543210" }] },
              { name: "genie", opsgenieConfigs: [{ apiKey: "k", httpConfig: { basicAuth: { username: secret("user"), password: "hunter2" } } }] },
            ],
          }),
        ],
        expected: [
          `spec.receivers[0].pagerdutyConfigs[0].routingKey ${INLINE}`,
          `spec.receivers[0].pagerdutyConfigs[0].serviceKey ${INLINE}`,
          `spec.receivers[1].opsgenieConfigs[0].apiKey ${INLINE}`,
          `spec.receivers[1].opsgenieConfigs[0].httpConfig.basicAuth.password ${INLINE}`,
        ],
      },
      {
        name: "flags webhook URLs carrying credentials in their user info, query or path",
        resources: [
          alertmanagerConfig({
            receivers: [
              {
                name: "hooks",
                webhookConfigs: [
                  { url: "https://alerts:s3cr3t@hooks.example.com/alert" },
                  { url: "https://hooks.example.com/alert?token=abc123" },
                  { url: "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx" },
                ],
              },
            ],
          }),
        ],
        expected: [
          `spec.receivers[0].webhookConfigs[0].url carries a credential (it has credentials in its user info); ${IN_URL}`,
          `spec.receivers[0].webhookConfigs[1].url carries a credential (its query parameter "token" holds a secret); ${IN_URL}`,
          `spec.receivers[0].webhookConfigs[2].url carries a credential (it contains a Slack token); ${IN_URL}`,
        ],
      },
      {
        name: "flags files of the Alertmanager pod",
        resources: [alertmanagerConfig({ receivers: [{ name: "phone", pushoverConfigs: [{ userKey: secret("user-key"), tokenFile: "/etc/alertmanager/pushover-token" }] }] })],
        expected: [
          'spec.receivers[0].pushoverConfigs[0].tokenFile reads "/etc/alertmanager/pushover-token" from the shared Alertmanager pod\'s filesystem; reference a key of a Secret in this namespace instead',
        ],
      },
    ]);
  });

  describe("alertmanagerconfig-routes", () => {
    itReports("alertmanagerconfig-routes", [
      {
        name: "allows routes and inhibition rules that match within the object's namespace",
        resources: [
          alertmanagerConfig(),
          alertmanagerConfig({
            route: {
              receiver: "chat",
              continue: true,
              routes: [{ receiver: "pager", matchers: [{ name: "namespace", value: "shop|shop-canary", matchType: "=~" }, { name: "namespace", value: "billing", matchType: "!=" }] }],
            },
          }),
        ],
        expected: [],
      },
      {
        name: "flags continue: false on the top route, which the operator overrides",
        resources: [alertmanagerConfig({ route: { receiver: "chat", continue: false } })],
        expected: ["spec.route.continue is false, which the operator overrides: every AlertmanagerConfig's top route continues, so the cluster's other routes still see the alerts; remove it"],
      },
      {
        name: "flags namespace matchers for other namespaces, in routes at any depth and in inhibition rules",
        resources: [
          alertmanagerConfig({
            route: {
              receiver: "chat",
              matchers: [{ name: "namespace", value: "billing" }],
              routes: [{ receiver: "pager", routes: [{ receiver: "pager", matchers: [{ name: "namespace", value: "bill.*", regex: true }] }] }],
            },
            inhibitRules: [{ sourceMatch: [critical, { name: "namespace", value: "shop", matchType: "!=" }], targetMatch: [warning] }],
          }),
        ],
        expected: [
          'spec.route.matchers[0] (namespace="billing") is useless: the operator limits the routes to alerts of the object\'s own namespace "shop"; remove the matcher',
          'spec.route.routes[0].routes[0].matchers[0] (namespace=~"bill.*") is useless: the operator limits the routes to alerts of the object\'s own namespace "shop"; remove the matcher',
          'spec.inhibitRules[0].sourceMatch[1] (namespace!="shop") is useless: the operator limits inhibition rules to alerts of the object\'s own namespace "shop"; remove the matcher',
        ],
      },
    ]);
  });
});
