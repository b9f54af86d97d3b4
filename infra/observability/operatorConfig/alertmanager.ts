/**
 * The alertmanager.yml the Prometheus Operator generates from the cluster's base configuration and the
 * environments' AlertmanagerConfig objects, so amtool and a real Alertmanager can check what the cluster will run.
 * Follows prometheus-operator/prometheus-operator pkg/alertmanager/amcfg.go at commit 004fb32fec18 (the version
 * read; the fields it converts are those of the v0.93 CRD): ConfigBuilder.AddAlertmanagerConfigs, convertRoute,
 * convertReceiver, convertPagerdutyConfig, convertSlackConfig, convertInhibitRule, makeNamespacedString and the
 * namespaceEnforcer of `alertmanagerConfigMatcherStrategy: OnNamespace` (the default), for Alertmanager >= 0.22
 * (matchers, not match).
 *
 * Each object's names become `<namespace>/<name>/<name in the object>`; its top route gains a
 * `namespace="<namespace>"` matcher and `continue: true` and goes first under the base route, so an environment's
 * route sees only its own namespace's alerts and every alert still falls through to the platform's routes; its
 * inhibit rules gain the same matcher on both sides. The receivers' secrets are read through `secret`, as the
 * operator reads them from the object's namespace.
 */
import type { AlertmanagerConfigSpec, InhibitRule, Matcher, Receiver, Route, SecretKeySelector } from "../alertmanager";

/** A route of alertmanager.yml. */
export interface AlertmanagerRoute {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: AlertmanagerRoute[];
}

/** alertmanager.yml, as far as the merge reads it; other top-level keys pass through untouched. */
export interface AlertmanagerYaml {
  route: AlertmanagerRoute;
  receivers: Record<string, unknown>[];
  inhibit_rules?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** One AlertmanagerConfig object, as the operator selects it. */
export interface AlertmanagerConfigObject {
  namespace: string;
  name: string;
  spec: AlertmanagerConfigSpec;
}

/** A key of a Secret in a namespace; the operator's asset store. */
export type SecretLookup = (namespace: string, ref: SecretKeySelector) => string;

/** monitoringv1alpha1.Matcher.String(): the value quoted with OpenMetrics escaping. */
function matcherString(m: Matcher): string {
  const value = m.value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return `${m.name}${m.matchType}"${value}"`;
}

function namespaced(name: string, config: AlertmanagerConfigObject): string {
  return `${config.namespace}/${config.name}/${name}`;
}

function convertRoute(route: Route, config: AlertmanagerConfigObject): AlertmanagerRoute {
  return {
    receiver: namespaced(route.receiver, config),
    ...(route.groupBy === undefined ? {} : { group_by: route.groupBy }),
    ...(route.groupWait === undefined ? {} : { group_wait: route.groupWait }),
    ...(route.groupInterval === undefined ? {} : { group_interval: route.groupInterval }),
    ...(route.repeatInterval === undefined ? {} : { repeat_interval: route.repeatInterval }),
    ...(route.continue === true ? { continue: true } : {}),
    ...(route.matchers === undefined ? {} : { matchers: route.matchers.map(matcherString) }),
    ...(route.routes === undefined ? {} : { routes: route.routes.map((child) => convertRoute(child, config)) }),
  };
}

/** The operator refuses a Slack URL that is no URL (getValidURLFromSecret); so does this. */
function validUrl(value: string, ref: SecretKeySelector): string {
  const url = value.trim();
  if (!URL.canParse(url)) throw new Error(`key "${ref.key}" of Secret "${ref.name}" is not a valid URL`);
  return url;
}

function convertReceiver(receiver: Receiver, config: AlertmanagerConfigObject, secret: SecretLookup): Record<string, unknown> {
  const read = (ref: SecretKeySelector) => secret(config.namespace, ref);
  return {
    name: namespaced(receiver.name, config),
    ...(receiver.pagerdutyConfigs === undefined
      ? {}
      : {
          pagerduty_configs: receiver.pagerdutyConfigs.map((p) => ({
            send_resolved: p.sendResolved,
            routing_key: read(p.routingKey),
            description: p.description,
            links: p.pagerDutyLinkConfigs.map((link) => ({ href: link.href, text: link.alt })),
          })),
        }),
    ...(receiver.slackConfigs === undefined
      ? {}
      : {
          slack_configs: receiver.slackConfigs.map((c) => ({
            send_resolved: c.sendResolved,
            api_url: validUrl(read(c.apiURL), c.apiURL),
            title: c.title,
            text: c.text,
          })),
        }),
  };
}

function convertInhibitRule(rule: InhibitRule, namespace: string): Record<string, unknown> {
  const own = matcherString({ name: "namespace", value: namespace, matchType: "=" });
  const withNamespace = (matchers: Matcher[]) => {
    const strings = matchers.map(matcherString);
    return strings.includes(own) ? strings : [...strings, own];
  };
  return { source_matchers: withNamespace(rule.sourceMatch), target_matchers: withNamespace(rule.targetMatch), equal: rule.equal };
}

/** The operator's checks of an object before it merges it: every route names one of the object's receivers. */
function checkReceivers(config: AlertmanagerConfigObject): void {
  const known = new Set(config.spec.receivers.map((r) => r.name));
  const walk = (route: Route): void => {
    if (!known.has(route.receiver)) {
      throw new Error(`AlertmanagerConfig ${config.namespace}/${config.name}: route receiver "${route.receiver}" is not one of its receivers`);
    }
    route.routes?.forEach(walk);
  };
  walk(config.spec.route);
}

export function operatorAlertmanagerConfig(base: AlertmanagerYaml, configs: AlertmanagerConfigObject[], secret: SecretLookup): AlertmanagerYaml {
  const sorted = [...configs].sort((a, b) => {
    const [x, y] = [`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  sorted.forEach(checkReceivers);
  const routes = sorted.map((config) => {
    const top = convertRoute(config.spec.route, config);
    const own = matcherString({ name: "namespace", value: config.namespace, matchType: "=" });
    return { ...top, matchers: [...(top.matchers ?? []), own], continue: true };
  });
  return {
    ...base,
    route: { ...base.route, routes: [...routes, ...(base.route.routes ?? [])] },
    receivers: [...base.receivers, ...sorted.flatMap((config) => config.spec.receivers.map((r) => convertReceiver(r, config, secret)))],
    inhibit_rules: [
      ...(base.inhibit_rules ?? []),
      ...sorted.flatMap((config) => config.spec.inhibitRules.map((rule) => convertInhibitRule(rule, config.namespace))),
    ],
  };
}
