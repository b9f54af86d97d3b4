/**
 * Least-privilege rules for the workflows' credentials (issue 9, part 6; docs/operations.md, "Pipeline
 * credentials"), as a function from parsed workflows to the problems found, so the test can show that each rule
 * catches its regression on a broken copy of the real files.
 *
 * - Pull-request jobs never run for forks with credentials, and nothing runs on `pull_request_target` (which
 *   would hand the base repository's secrets to a fork's code).
 * - A pull-request job that holds credentials runs in the environment `preview-<stack>` of the one stack it
 *   previews, and reads only that environment's `KUBECONFIG`: no repository-wide secret, no `secrets: inherit`.
 * - Deploy jobs run in `deploy-<stack>`, the environment of the stack they deploy.
 * - Pulumi Cloud tokens come from OIDC as team tokens (`scope: team:<name>`), never organisation tokens.
 */
type Dict = Record<string, unknown>;

export interface CredentialStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Dict;
  env?: Dict;
}

export interface CredentialJob {
  if?: string;
  uses?: string;
  with?: Dict;
  secrets?: unknown;
  environment?: string | { name: string };
  strategy?: { matrix?: Dict };
  steps?: CredentialStep[];
}

export interface CredentialWorkflow {
  file: string;
  on: Dict;
  jobs: Record<string, CredentialJob>;
}

export const PREVIEW_KUBECONFIG = "${{ secrets.KUBECONFIG }}";
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const TEAM_TOKEN = "urn:pulumi:token-type:access_token:team";

/** `secrets.X`, `secrets[...]` and `secrets: inherit` in a job, as written. */
function secretReferences(job: CredentialJob): string[] {
  const text = JSON.stringify(job);
  const references = [...text.matchAll(/\$\{\{[^}]*?\bsecrets(\.\w+|\[[^\]]*\])[^}]*\}\}/g)].map((match) => match[0]);
  return job.secrets === "inherit" ? [...references, "secrets: inherit"] : references;
}

function usesOidc(job: CredentialJob): boolean {
  return (job.steps ?? []).some((step) => step.uses?.split("@")[0] === "pulumi/auth-actions");
}

function environmentOf(job: CredentialJob): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

function matrixStacks(job: CredentialJob): string[] {
  const stacks = job.strategy?.matrix?.stack;
  return Array.isArray(stacks) ? stacks.map(String) : [];
}

function pullRequestProblems(wf: CredentialWorkflow, jobId: string, job: CredentialJob): string[] {
  const where = `${wf.file} job ${jobId}`;
  const secrets = secretReferences(job);
  if (secrets.length === 0 && !usesOidc(job)) return [];
  const problems: string[] = [];
  if (!(job.if ?? "").includes(FORK_GUARD)) problems.push(`${where} holds credentials without skipping forks (if: ${FORK_GUARD})`);
  const environment = environmentOf(job);
  if (environment !== "preview-${{ matrix.stack }}" || matrixStacks(job).length === 0) {
    problems.push(`${where} holds credentials outside its stack's preview environment (environment: preview-\${{ matrix.stack }}, got ${environment ?? "none"})`);
  }
  for (const secret of secrets) {
    if (secret !== PREVIEW_KUBECONFIG) problems.push(`${where} reads ${secret}; a preview reads only its environment's ${PREVIEW_KUBECONFIG}`);
  }
  return problems;
}

function deployProblems(wf: CredentialWorkflow, jobId: string, job: CredentialJob): string[] {
  const stack = job.with?.stack;
  if (job.uses === undefined || stack === undefined) return [];
  const environment = job.with?.environment;
  return environment === `deploy-${String(stack)}`
    ? []
    : [`${wf.file} job ${jobId} deploys ${String(stack)} from environment ${String(environment)}, not deploy-${String(stack)}`];
}

function tokenProblems(wf: CredentialWorkflow, jobId: string, job: CredentialJob): string[] {
  return (job.steps ?? [])
    .filter((step) => step.uses?.split("@")[0] === "pulumi/auth-actions")
    .flatMap((step) => {
      const type = step.with?.["requested-token-type"];
      const scope = String(step.with?.scope ?? "");
      return type === TEAM_TOKEN && /^team:\S/.test(scope)
        ? []
        : [`${wf.file} job ${jobId} asks Pulumi Cloud for ${String(type)} (scope ${scope || "none"}); only a team token (${TEAM_TOKEN}, scope team:<name>)`];
    });
}

export function credentialProblems(workflows: CredentialWorkflow[]): string[] {
  return workflows.flatMap((wf) => {
    const triggers = Object.keys(wf.on);
    const problems = triggers.includes("pull_request_target")
      ? [`${wf.file} runs on pull_request_target, which gives a fork's code the repository's secrets`]
      : [];
    for (const [jobId, job] of Object.entries(wf.jobs)) {
      if (triggers.includes("pull_request")) problems.push(...pullRequestProblems(wf, jobId, job));
      problems.push(...deployProblems(wf, jobId, job), ...tokenProblems(wf, jobId, job));
    }
    return problems;
  });
}
