import { PROMETHEUS_DATASOURCE_UID } from "./settings";

/** A small builder for Grafana dashboard JSON: panels are declared, their grid positions are computed. */

export interface Query {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  kind: "timeseries" | "stat";
  title: string;
  /** Grafana unit id: `reqps`, `percentunit`, `s`, `bytes`, `short`... */
  unit: string;
  queries: Query[];
  /** Drawn as a red line (time series) or turns the value red (stat): the matching alert's threshold. */
  alertAbove?: number;
  alertBelow?: number;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  tags: string[];
  sections: { title: string; panels: PanelSpec[] }[];
}

const GRID_WIDTH = 24;
const size = { timeseries: { w: 12, h: 8 }, stat: { w: 6, h: 4 } } as const;
/**
 * The datasource kube-prometheus-stack's Grafana provisions for its Prometheus, by the uid the chart gives it
 * (prometheus-community/helm-charts, charts/kube-prometheus-stack/values.yaml: `grafana.sidecar.datasources.uid`),
 * so panels never depend on which datasource is the default.
 */
const datasource = { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID };

export function timeseries(title: string, unit: string, queries: Query[], limits: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: "timeseries", title, unit, queries, ...limits };
}

export function stat(title: string, unit: string, expr: string, limits: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: "stat", title, unit, queries: [{ expr, legend: title }], ...limits };
}

export function q(expr: string, legend: string): Query {
  return { expr, legend };
}

function thresholds(spec: PanelSpec) {
  if (spec.alertAbove !== undefined) {
    return { mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: spec.alertAbove }] };
  }
  if (spec.alertBelow !== undefined) {
    return { mode: "absolute", steps: [{ color: "red", value: null }, { color: "green", value: spec.alertBelow }] };
  }
  return { mode: "absolute", steps: [{ color: "green", value: null }] };
}

function hasLimit(spec: PanelSpec): boolean {
  return spec.alertAbove !== undefined || spec.alertBelow !== undefined;
}

function panelJson(spec: PanelSpec, id: number, gridPos: Record<string, number>) {
  const custom = spec.kind === "timeseries" && hasLimit(spec) ? { thresholdsStyle: { mode: "line" } } : {};
  return {
    id,
    type: spec.kind,
    title: spec.title,
    datasource,
    gridPos,
    targets: spec.queries.map((query, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource,
      expr: query.expr,
      legendFormat: query.legend,
    })),
    fieldConfig: { defaults: { unit: spec.unit, thresholds: thresholds(spec), custom }, overrides: [] },
    options:
      spec.kind === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area" }
        : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

/** Lays panels out left to right, wrapping at the grid width, each section under its own row header. */
function layout(sections: DashboardSpec["sections"]): unknown[] {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    panels.push({ id: id++, type: "row", title: section.title, collapsed: false, gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of section.panels) {
      const { w, h } = size[spec.kind];
      if (x + w > GRID_WIDTH) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panelJson(spec, id++, { x, y, w, h }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return panels;
}

export function dashboardJson(spec: DashboardSpec): string {
  const dashboard = {
    uid: spec.uid,
    title: spec.title,
    tags: spec.tags,
    editable: false,
    schemaVersion: 39,
    timezone: "browser",
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    templating: { list: [] },
    annotations: { list: [] },
    panels: layout(spec.sections),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
