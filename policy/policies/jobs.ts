// Run-to-completion workloads: CronJobs bound their runs and the history they keep, standalone Jobs are cleaned up
// once finished.
import type { Policies } from "@pulumi/policy";
import { objectPolicy } from "../lib/define";
import type { KubernetesObject } from "../lib/k8s";

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields {
  return value !== null && typeof value === "object" ? (value as Fields) : {};
}

function cronJobProblems(cronJob: KubernetesObject): string[] {
  const spec = fields(cronJob.spec);
  const jobSpec = fields(fields(spec.jobTemplate).spec);
  const problems: string[] = [];
  if (spec.concurrencyPolicy !== "Forbid" && spec.concurrencyPolicy !== "Replace") {
    const current = spec.concurrencyPolicy === undefined ? "does not set spec.concurrencyPolicy" : `sets spec.concurrencyPolicy=${spec.concurrencyPolicy}`;
    problems.push(`CronJob ${current}; set it to Forbid (or Replace) so runs cannot overlap`);
  }
  if (spec.startingDeadlineSeconds === undefined) {
    problems.push("CronJob does not set spec.startingDeadlineSeconds; set it so a run that cannot start on time is skipped");
  }
  if (jobSpec.activeDeadlineSeconds === undefined) {
    problems.push("CronJob does not set spec.jobTemplate.spec.activeDeadlineSeconds; set it so a hung run is stopped");
  }
  for (const field of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    if (spec[field] === undefined) {
      problems.push(`CronJob does not set spec.${field}; set it to bound the finished Jobs kept`);
    }
  }
  return problems;
}

const cronJobLimits = objectPolicy({
  name: "cronjob-limits",
  description: "CronJobs must bound their runs: set spec.concurrencyPolicy to Forbid or Replace, spec.startingDeadlineSeconds, spec.jobTemplate.spec.activeDeadlineSeconds, spec.successfulJobsHistoryLimit and spec.failedJobsHistoryLimit.",
  severity: "low",
  counterparts: { kubeScore: ["cronjob-has-deadline"] },
  kinds: ["batch:CronJob"],
  check: cronJobProblems,
});

const jobTtl = objectPolicy({
  name: "job-ttl-after-finished",
  description: "A standalone Job must be deleted once it finished, and a CronJob's Jobs must be left to its history limits: set spec.ttlSecondsAfterFinished on every Job, and remove it from CronJob spec.jobTemplate.spec.",
  severity: "low",
  counterparts: { kubeLinter: ["job-ttl-seconds-after-finished"] },
  kinds: ["batch:Job", "batch:CronJob"],
  check: (object, _config, kind) => {
    if (kind === "batch:Job") {
      return fields(object.spec).ttlSecondsAfterFinished === undefined
        ? ["Job does not set spec.ttlSecondsAfterFinished; set it so the finished Job and its pods are deleted"]
        : [];
    }
    return fields(fields(fields(object.spec).jobTemplate).spec).ttlSecondsAfterFinished === undefined
      ? []
      : ["CronJob sets spec.jobTemplate.spec.ttlSecondsAfterFinished, which deletes its Jobs behind the history limits; remove it and keep successfulJobsHistoryLimit and failedJobsHistoryLimit"];
  },
});

export const jobPolicies: Policies = [cronJobLimits, jobTtl];
