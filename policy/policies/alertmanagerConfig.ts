// AlertmanagerConfigs on the cluster's one Alertmanager, which every environment shares: every credential of a
// receiver comes from a Secret of the object's namespace (none written inline, none in a URL, no file of the
// Alertmanager pod), and no route or inhibition rule says something the operator overrides or that can never match.
//
// The operator's behaviour these rules follow (pkg/alertmanager/amcfg.go, commit 004fb32f, and the v1alpha1 CRD's
// field documentation, operator v0.93): with the matcher strategy OnNamespace (the default, and what the
// platform sets) the namespaceEnforcer adds `namespace="<the object's namespace>"` to the object's top route and to
// both sides of each inhibition rule, so a matcher demanding another namespace never matches; and the
// continueToNextRoute enforcer sets `continue: true` on the top route whatever the object says. (The strategy None,
// and OnNamespaceExceptForAlertmanagerNamespace for objects in the Alertmanager's own namespace, add no namespace
// matcher: a cluster running those exempts the namespaces concerned through exemptNamespaces.)
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import { fieldsOf, Fields, fileFields, knownNamespaceOf, Located, objectsAt, stringsWhere, valueAt } from "../lib/fields";
import { isUnknown } from "../lib/schema";
import { MONITORING_GROUP } from "./monitoring";
import { secretReason } from "./secrets";

const ALERTMANAGER_CONFIG = `${MONITORING_GROUP}:AlertmanagerConfig`;

/**
 * Per receiver type, the fields the v1alpha1 CRD types as a reference to a Secret key (monitoring.coreos.com_
 * alertmanagerconfigs, operator v0.93); a type not listed has only the common ones below.
 */
const SECRET_KEY_FIELDS: Record<string, string[]> = {
  discordConfigs: ["apiURL"],
  emailConfigs: ["authPassword", "authSecret"],
  msteamsConfigs: ["webhookUrl"],
  msteamsv2Configs: ["webhookURL"],
  opsgenieConfigs: ["apiKey"],
  pagerdutyConfigs: ["routingKey", "serviceKey"],
  pushoverConfigs: ["token", "userKey"],
  rocketchatConfigs: ["token", "tokenID"],
  slackConfigs: ["apiURL"],
  snsConfigs: ["sigv4.accessKey", "sigv4.secretKey"],
  telegramConfigs: ["botToken"],
  victoropsConfigs: ["apiKey"],
  webhookConfigs: ["urlSecret"],
  wechatConfigs: ["apiSecret"],
};

/** The Secret key references every receiver type's HTTP client (and the email receiver's TLS) may have. */
const COMMON_SECRET_KEY_FIELDS = [
  "httpConfig.authorization.credentials",
  "httpConfig.basicAuth.username",
  "httpConfig.basicAuth.password",
  "httpConfig.bearerTokenSecret",
  "httpConfig.oauth2.clientSecret",
  "httpConfig.oauth2.tlsConfig.keySecret",
  "httpConfig.tlsConfig.keySecret",
  "tlsConfig.keySecret",
];

function isSecretKeyRef(value: unknown): boolean {
  const ref = fieldsOf(value);
  return typeof ref?.name === "string" && typeof ref.key === "string";
}

/** Why a URL carries a credential (in its user info, a query parameter or its path), or undefined. */
function urlCredential(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "") {
    return "it has credentials in its user info";
  }
  const parameter = [...url.searchParams].find(([name, value]) => secretReason(name, value) !== undefined);
  return parameter === undefined ? secretReason("url", text) : `its query parameter "${parameter[0]}" holds a secret`;
}

/** Each configuration of each receiver, e.g. `spec.receivers[0].pagerdutyConfigs[0]`, with its type. */
function receiverConfigs(spec: Fields): Array<Located<Fields> & { type: string }> {
  return objectsAt(spec.receivers, "spec.receivers").flatMap((receiver) =>
    Object.entries(receiver.value)
      .filter(([type]) => type !== "name")
      .flatMap(([type, configs]) => objectsAt(configs, `${receiver.path}.${type}`).map((config) => ({ ...config, type }))),
  );
}

function receiverProblems(config: Located<Fields> & { type: string }): string[] {
  const inline = [...(SECRET_KEY_FIELDS[config.type] ?? []), ...COMMON_SECRET_KEY_FIELDS]
    .filter((field) => {
      const value = valueAt(config.value, field);
      return value !== undefined && !isUnknown(value) && !isSecretKeyRef(value);
    })
    .map((field) => `${config.path}.${field} is written inline; reference a key of a Secret in this namespace ({ name, key }) instead`);
  const urls = stringsWhere(config.value, config.path, (key) => /ur[li]$/i.test(key)).flatMap((url) => {
    const why = urlCredential(url.value);
    return why === undefined ? [] : [`${url.path} carries a credential (${why}); keep the whole URL in a Secret and reference it (urlSecret for a webhook)`];
  });
  const files = fileFields(config.value, config.path).map(
    (field) => `${field.path} reads "${field.value}" from the shared Alertmanager pod's filesystem; reference a key of a Secret in this namespace instead`,
  );
  return [...inline, ...urls, ...files];
}

const secretRefs = objectPolicy({
  name: "alertmanagerconfig-secret-refs",
  description: "Every credential of an AlertmanagerConfig receiver must come from a Secret in its namespace: reference a Secret key ({ name, key }) for routing keys, API keys, tokens and webhook URLs (urlSecret), put no credential in an inline URL's user info, query or path, and name no file of the shared Alertmanager pod (tokenFile, userKeyFile, botTokenFile).",
  severity: "high",
  counterparts: {},
  kinds: [ALERTMANAGER_CONFIG],
  check: (config) => receiverConfigs(fieldsOf(config.spec) ?? {}).flatMap(receiverProblems),
});

/** An Alertmanager matcher of the v1alpha1 API: `matchType` wins over the deprecated `regex`. */
interface Matcher {
  name?: unknown;
  value?: unknown;
  matchType?: unknown;
  regex?: unknown;
}

/** True when the matcher can match the label's value; undefined when that cannot be told (an invalid regex). */
function matches(matcher: Matcher, value: string): boolean | undefined {
  const wanted = typeof matcher.value === "string" ? matcher.value : "";
  const type = typeof matcher.matchType === "string" && matcher.matchType !== "" ? matcher.matchType : matcher.regex === true ? "=~" : "=";
  if (type === "=" || type === "!=") {
    return (wanted === value) === (type === "=");
  }
  try {
    // Alertmanager anchors regular expressions at both ends.
    return new RegExp(`^(?:${wanted})$`).test(value) === (type === "=~");
  } catch {
    return undefined;
  }
}

function describeMatcher(matcher: Matcher): string {
  const type = typeof matcher.matchType === "string" && matcher.matchType !== "" ? matcher.matchType : matcher.regex === true ? "=~" : "=";
  return `namespace${type}"${String(matcher.value ?? "")}"`;
}

/** The namespace matchers of a list that exclude the object's own namespace, as messages. */
function foreignNamespaceMatchers(list: unknown, path: string, namespace: string, what: string): string[] {
  return objectsAt(list, path)
    .filter((entry) => entry.value.name === "namespace" && matches(entry.value, namespace) === false)
    .map(
      (entry) =>
        `${entry.path} (${describeMatcher(entry.value)}) is useless: the operator limits ${what} to alerts of the object's own namespace "${namespace}"; remove the matcher`,
    );
}

/** Every route of the tree below `spec.route`, the top one first. */
function routesOf(route: Fields | undefined, path: string): Array<Located<Fields>> {
  return route === undefined ? [] : [{ value: route, path }, ...objectsAt(route.routes, `${path}.routes`).flatMap((child) => routesOf(child.value, child.path))];
}

const routes = objectPolicy({
  name: "alertmanagerconfig-routes",
  description: "An AlertmanagerConfig's routes and inhibition rules must not say what the operator overrides or what can never match: match no namespace but the object's own (the operator adds a matcher on it to the top route and to both sides of every inhibition rule), and set no continue: false on the top route (the operator sets it to true so the cluster's other routes still see the alerts).",
  severity: "medium",
  counterparts: {},
  kinds: [ALERTMANAGER_CONFIG],
  check: (config) => {
    const spec = fieldsOf(config.spec) ?? {};
    const namespace = knownNamespaceOf(config);
    const top = fieldsOf(spec.route);
    return [
      ...(top?.continue === false
        ? ['spec.route.continue is false, which the operator overrides: every AlertmanagerConfig\'s top route continues, so the cluster\'s other routes still see the alerts; remove it']
        : []),
      ...(namespace === undefined
        ? []
        : [
            ...routesOf(top, "spec.route").flatMap((route) => foreignNamespaceMatchers(route.value.matchers, `${route.path}.matchers`, namespace, "the routes")),
            ...objectsAt(spec.inhibitRules, "spec.inhibitRules").flatMap((rule) =>
              ["sourceMatch", "targetMatch"].flatMap((side) => foreignNamespaceMatchers(rule.value[side], `${rule.path}.${side}`, namespace, "inhibition rules")),
            ),
          ]),
    ];
  },
});

export const alertmanagerConfigPolicies: Policies = [secretRefs, routes];
