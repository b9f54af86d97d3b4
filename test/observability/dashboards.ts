/** Reading the generated Grafana dashboards back, for the tests. */

export interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

export function parseDashboards(files: Record<string, string>): Record<string, Dashboard> {
  return Object.fromEntries(Object.entries(files).map(([file, json]) => [file, JSON.parse(json) as Dashboard]));
}

export function expressions(dashboard: Dashboard): string[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}
