import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "../charts";

export const TYPE_PREFIX = "football-prediction:platform";

export interface ChartReleaseArgs {
  chart: ChartPin;
  /** The Namespace object's name: using it orders the release after its namespace exists. */
  namespace: pulumi.Input<string>;
  values: pulumi.Input<Record<string, unknown>>;
}

/**
 * One row of the chart table installed as a Helm release (`kubernetes.helm.v3.Release`): Helm itself renders and
 * applies the chart in the cluster, runs its hooks, keeps the release history (`helm history`, `helm rollback`) and
 * upgrades CRDs the chart templates; Pulumi sees one resource whose diff is the chart version and the values. A
 * failed install is purged and a failed upgrade rolled back (`atomic`), so no half-applied operator stays behind.
 */
export function chartRelease(name: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  const { chart } = args;
  return new k8s.helm.v3.Release(
    name,
    {
      name: chart.release,
      chart: chart.chart,
      version: chart.version,
      repositoryOpts: { repo: chart.repository },
      namespace: args.namespace,
      createNamespace: false,
      values: args.values,
      atomic: true,
      cleanupOnFail: true,
      waitForJobs: true,
      maxHistory: 10,
      timeout: 600,
    },
    opts,
  );
}
