/**
 * The stack's alert routing, as the spec of a `monitoring.coreos.com/v1alpha1` AlertmanagerConfig in the stack's
 * namespace: the cluster's Alertmanager merges it into its own configuration (operatorConfig/alertmanager.ts shows
 * how), routing only this namespace's alerts here. Critical alerts page, warnings go to the team's chat. The
 * receivers' secrets stay in the stack's Secret; the AlertmanagerConfig only names it, and the operator reads it.
 */
export const receiverNames = { pager: "pager", chat: "chat" } as const;

/** Labels that make two alerts "the same problem": one environment's one subsystem. */
const incidentLabels = ["environment", "subsystem"];

export interface Matcher {
  name: string;
  value: string;
  matchType: "=" | "!=" | "=~" | "!~";
}

export interface Route {
  receiver: string;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  matchers?: Matcher[];
  continue?: boolean;
  routes?: Route[];
}

export interface SecretKeySelector {
  name: string;
  key: string;
}

/** Where the receivers' secrets are: the PagerDuty Events v2 routing key and a Slack-compatible webhook URL. */
export interface ReceiverSecrets {
  pager: SecretKeySelector;
  chat: SecretKeySelector;
}

export interface Receiver {
  name: string;
  pagerdutyConfigs?: {
    routingKey: SecretKeySelector;
    sendResolved: boolean;
    description: string;
    pagerDutyLinkConfigs: { href: string; alt: string }[];
  }[];
  slackConfigs?: { apiURL: SecretKeySelector; sendResolved: boolean; title: string; text: string }[];
}

export interface InhibitRule {
  sourceMatch: Matcher[];
  targetMatch: Matcher[];
  equal: string[];
}

export interface AlertmanagerConfigSpec {
  route: Route;
  receivers: Receiver[];
  inhibitRules: InhibitRule[];
}

const severity = (value: "critical" | "warning"): Matcher => ({ name: "severity", value, matchType: "=" });

const chatTitle = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }})";
const chatText =
  "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n" +
  "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}";

function receivers(secrets: ReceiverSecrets): Receiver[] {
  return [
    {
      name: receiverNames.pager,
      pagerdutyConfigs: [
        {
          routingKey: secrets.pager,
          sendResolved: true,
          description: "{{ .CommonAnnotations.summary }} ({{ .CommonLabels.environment }})",
          pagerDutyLinkConfigs: [{ href: "{{ .CommonAnnotations.runbook_url }}", alt: "Runbook" }],
        },
      ],
    },
    {
      name: receiverNames.chat,
      slackConfigs: [{ apiURL: secrets.chat, sendResolved: true, title: chatTitle, text: chatText }],
    },
  ];
}

export function alertmanagerConfigSpec(secrets: ReceiverSecrets): AlertmanagerConfigSpec {
  return {
    route: {
      // Alerts without a known severity still reach a human, through the quieter channel.
      receiver: receiverNames.chat,
      groupBy: ["alertname", ...incidentLabels],
      groupWait: "30s",
      groupInterval: "5m",
      repeatInterval: "4h",
      routes: [
        { receiver: receiverNames.pager, matchers: [severity("critical")], groupWait: "10s", repeatInterval: "1h" },
        { receiver: receiverNames.chat, matchers: [severity("warning")] },
      ],
    },
    inhibitRules: [
      // A subsystem that is down also trips its saturation and latency warnings; the page says it all.
      { sourceMatch: [severity("critical")], targetMatch: [severity("warning")], equal: incidentLabels },
    ],
    receivers: receivers(secrets),
  };
}
