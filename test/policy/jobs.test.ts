import { cronJob, itReports, modified, object, podSpec } from "./fixtures";

const backup = cronJob("backup");

function job(spec: Record<string, unknown> = {}) {
  return object("batch/v1", "Job", "migrate", { spec: { ...spec, template: { metadata: {}, spec: { ...podSpec("migrate"), restartPolicy: "Never" } } } });
}

describe("job policies", () => {
  describe("cronjob-limits", () => {
    itReports("cronjob-limits", [
      { name: "allows a bounded CronJob", resources: [backup], expected: [] },
      { name: "flags concurrencyPolicy Allow", resources: [modified(backup, (props) => (props.spec.concurrencyPolicy = "Allow"))], expected: ["CronJob sets spec.concurrencyPolicy=Allow; set it to Forbid (or Replace) so runs cannot overlap"] },
      {
        name: "flags every missing bound",
        resources: [
          modified(backup, (props) => {
            for (const field of ["concurrencyPolicy", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
              delete props.spec[field];
            }
            delete props.spec.jobTemplate.spec.activeDeadlineSeconds;
          }),
        ],
        expected: [
          "CronJob does not set spec.concurrencyPolicy; set it to Forbid (or Replace) so runs cannot overlap",
          "CronJob does not set spec.startingDeadlineSeconds; set it so a run that cannot start on time is skipped",
          "CronJob does not set spec.jobTemplate.spec.activeDeadlineSeconds; set it so a hung run is stopped",
          "CronJob does not set spec.successfulJobsHistoryLimit; set it to bound the finished Jobs kept",
          "CronJob does not set spec.failedJobsHistoryLimit; set it to bound the finished Jobs kept",
        ],
      },
    ]);
  });

  describe("job-ttl-after-finished", () => {
    itReports("job-ttl-after-finished", [
      { name: "allows a Job with a TTL, and a CronJob leaving its Jobs to the history limits", resources: [job({ ttlSecondsAfterFinished: 3600 }), backup], expected: [] },
      { name: "flags a Job without a TTL", resources: [job()], expected: ["Job does not set spec.ttlSecondsAfterFinished; set it so the finished Job and its pods are deleted"] },
      {
        name: "flags a CronJob whose Jobs carry a TTL",
        resources: [modified(backup, (props) => (props.spec.jobTemplate.spec.ttlSecondsAfterFinished = 60))],
        expected: ["CronJob sets spec.jobTemplate.spec.ttlSecondsAfterFinished, which deletes its Jobs behind the history limits; remove it and keep successfulJobsHistoryLimit and failedJobsHistoryLimit"],
      },
    ]);
  });
});
