import { stringify } from "yaml";
import type { ObservabilitySettings } from "./settings";

export const receiverNames = { pager: "pager", chat: "chat" } as const;

/** Labels that make two alerts "the same problem": one environment's one subsystem. */
const incidentLabels = ["environment", "subsystem"];

const chatTitle = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }})';
const chatText =
  "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n" +
  "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}";

function receivers(s: ObservabilitySettings) {
  return [
    {
      name: receiverNames.pager,
      pagerduty_configs: [
        {
          routing_key_file: s.receivers.pagerUrlFile,
          send_resolved: true,
          description: "{{ .CommonAnnotations.summary }} ({{ .CommonLabels.environment }})",
          links: [{ href: "{{ .CommonAnnotations.runbook_url }}", text: "Runbook" }],
        },
      ],
    },
    {
      name: receiverNames.chat,
      slack_configs: [{ api_url_file: s.receivers.chatUrlFile, send_resolved: true, title: chatTitle, text: chatText }],
    },
  ];
}

export function renderAlertmanagerConfig(s: ObservabilitySettings): string {
  return stringify(
    {
      route: {
        // Alerts without a known severity still reach a human, through the quieter channel.
        receiver: receiverNames.chat,
        group_by: ["alertname", ...incidentLabels],
        group_wait: "30s",
        group_interval: "5m",
        repeat_interval: "4h",
        routes: [
          { receiver: receiverNames.pager, matchers: ['severity="critical"'], group_wait: "10s", repeat_interval: "1h" },
          { receiver: receiverNames.chat, matchers: ['severity="warning"'] },
        ],
      },
      inhibit_rules: [
        {
          // A subsystem that is down also trips its saturation and latency warnings; the page says it all.
          source_matchers: ['severity="critical"'],
          target_matchers: ['severity="warning"'],
          equal: incidentLabels,
        },
      ],
      receivers: receivers(s),
    },
    { lineWidth: 0 },
  );
}
