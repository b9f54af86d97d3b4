import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLOUR_LABEL, COLOURS, colourTag, idleColour } from "../blueGreen";
import type { Colour } from "../config";
import { imageUsers } from "../images";
import {
  autoscaledRollout,
  clusterService,
  disruptionBudget,
  httpProbe,
  meta,
  plainEnv,
  podDefaults,
  resourcesOf,
  restrictedContainerSecurity,
  scratchVolume,
  serviceAccount,
  servingPriority,
  spreadOverZonesAndNodes,
  type Container,
} from "../k8s";
import { labelValue, objectLabels, selectorLabels, workloads } from "../labels";
import { OPS_PORT, OPS_PORT_NAME, WEB_PORT } from "../ports";
import { TYPE_PREFIX, type StackContext } from "./context";

export type WebArgs = StackContext;
const UID = imageUsers.service;

/**
 * The page: blue and green Deployments of the service image running `web` (the built page and nothing else, so no
 * database, Redis or secret), each autoscaled and disruption-budgeted, the `web` Service on the active colour and
 * `web-preview` on the idle one, and a Service per colour, which the edge's `/` route chooses between. The colour is the API's
 * (`blueGreen.active`), so one switch moves the page and the API together.
 */
export class Web extends pulumi.ComponentResource {
  private readonly args: WebArgs;
  private readonly serviceAccountName: pulumi.Output<string>;
  /** Each colour's own Service: the edge's `/` route names the active one (components/edge.ts). */
  public readonly colourServices: Record<Colour, pulumi.Output<string>>;

  constructor(name: string, args: WebArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Web`, name, {}, opts);
    this.args = args;
    const labels = objectLabels(args.instance, workloads.web);
    // A ServiceAccount of its own: nothing the API's account may ever be granted reaches the page's pods.
    this.serviceAccountName = serviceAccount("web", args.namespace, labels, this.child).metadata.name;
    for (const colour of COLOURS) {
      this.colour(colour);
    }
    this.colourServices = this.services();
    this.registerOutputs({});
  }

  private get child(): pulumi.CustomResourceOptions {
    return { parent: this };
  }

  private selector(colour: Colour) {
    return { ...selectorLabels(this.args.instance, workloads.web), [COLOUR_LABEL]: colour };
  }

  private container(tag: string): Container {
    const { settings } = this.args;
    return {
      name: "web",
      image: `${settings.imageRepository}:${tag}`,
      imagePullPolicy: settings.image.pullPolicy,
      args: ["web"],
      // Plain values, not the API's ConfigMap: the page needs none of its settings and none of its credentials.
      env: plainEnv({
        APP_ENV: settings.environment,
        LOG_LEVEL: settings.logLevel,
        PORT: String(WEB_PORT),
        OPS_PORT: String(OPS_PORT),
        SHUTDOWN_GRACE_SECONDS: String(settings.api.shutdownGraceSeconds),
      }),
      ports: [
        { name: "http", containerPort: WEB_PORT, protocol: "TCP" },
        { name: OPS_PORT_NAME, containerPort: OPS_PORT, protocol: "TCP" },
      ],
      resources: resourcesOf(settings.web.resources),
      securityContext: restrictedContainerSecurity(UID),
      // The image's HOME is /tmp; nothing else is written, so a small scratch volume does.
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      startupProbe: httpProbe("/health", OPS_PORT_NAME, 2, 30),
      readinessProbe: httpProbe("/ready", OPS_PORT_NAME, 5, 3),
      livenessProbe: httpProbe("/health", OPS_PORT_NAME, 10, 3),
    };
  }

  /** One colour: its Deployment, HPA and PodDisruptionBudget, on the colour's own tag. */
  private colour(colour: Colour): void {
    const { settings, namespace, instance } = this.args;
    const tag = colourTag(settings, colour);
    const name = `web-${colour}`;
    const selector = this.selector(colour);
    const labels = { ...objectLabels(instance, workloads.web, labelValue(tag)), [COLOUR_LABEL]: colour };

    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta(name, namespace, labels),
        spec: {
          ...autoscaledRollout(selector),
          template: {
            metadata: { labels },
            spec: {
              ...podDefaults(this.serviceAccountName, UID),
              ...servingPriority(settings),
              terminationGracePeriodSeconds: settings.api.shutdownGraceSeconds + 10,
              topologySpreadConstraints: spreadOverZonesAndNodes(selector),
              volumes: [scratchVolume("tmp", "16Mi")],
              containers: [this.container(tag)],
            },
          },
        },
      },
      this.child,
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      name,
      {
        metadata: meta(name, namespace, labels),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: settings.web.minReplicas,
          maxReplicas: settings.web.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: settings.web.cpuUtilization } },
            },
          ],
          behavior: {
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      this.child,
    );

    disruptionBudget(name, namespace, labels, selector, this.child);
  }

  /**
   * `web` on the active colour and `web-preview` on the idle one, to check a staged page before the switch, and
   * `web-blue`/`web-green`, which the public route chooses between.
   */
  private services(): Record<Colour, pulumi.Output<string>> {
    const { settings, namespace, instance } = this.args;
    const active = settings.blueGreen.active;
    const labels = objectLabels(instance, workloads.web);
    const ports = [{ name: "http", port: WEB_PORT }];
    clusterService("web-preview", namespace, labels, this.selector(idleColour(active)), ports, this.child);
    clusterService("web", namespace, labels, this.selector(active), ports, this.child);
    const byColour = (colour: Colour) =>
      clusterService(`web-${colour}`, namespace, labels, this.selector(colour), ports, this.child).metadata.name;
    return { blue: byColour("blue"), green: byColour("green") };
  }
}
