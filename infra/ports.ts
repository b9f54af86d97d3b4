/**
 * The ports the service image listens on in the cluster, shared by the workloads that open them, the Services and
 * the Ingress that route to them and the NetworkPolicies that let traffic through: one number, written once.
 */
import { metricsPortNames, metricsPorts } from "./observability/settings";

/** The API (`serve`): the port the `api` Services carry and the Ingress routes `/api` to. */
export const APP_PORT = 8000;
/** The page (`web`): the port the `web` Services carry and the Ingress routes `/` to; `web`'s own default. */
export const WEB_PORT = 8003;
/**
 * /health, /ready and /metrics of every pod of the image (serve, worker, web): probes and the scrape reach it on
 * the pods; no Service carries it and nothing routes to it from outside.
 */
export const OPS_PORT = metricsPorts.service;
/** The ops port's name on the containers, which the probes and the PodMonitor select it by. */
export const OPS_PORT_NAME = metricsPortNames.service;
