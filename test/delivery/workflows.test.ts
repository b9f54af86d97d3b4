// The GitHub workflows only run on GitHub, so this test holds them to the repository instead: every stack they
// name has a stack file, every policy config they pass exists, the image is tagged with the commit SHA and that tag
// is what each stack deploys, prod deploys only from v* tags behind the production environment, and no secret is
// written into a workflow.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { images } from "../../infra/images";
import { APP_PORT, OPS_PORT, WEB_PORT } from "../../infra/ports";
import { REPO_ROOT } from "../support/processes";
import { credentialProblems } from "./credentials";
import { instructionsOf, readDockerfile, type Stage } from "./dockerfile";

/**
 * pulumi/actions' current major: v7.0.0 (May 2026) moved the action to the Node 24 runtime. Bump it together
 * with the workflows.
 */
const PULUMI_ACTIONS_REF = "v7";
const PROJECT = "football-prediction";
const STACKS = ["dev", "test", "staging", "prod"];
const WORKFLOW_DIR = path.join(REPO_ROOT, ".github", "workflows");

type Dict = Record<string, unknown>;

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Dict;
  env?: Dict;
}

interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  uses?: string;
  with?: Dict;
  secrets?: unknown;
  environment?: string | { name: string };
  permissions?: Dict | string;
  strategy?: { matrix?: Dict };
  services?: Record<string, { image: string }>;
  container?: string | { image: string };
  env?: Dict;
  steps?: Step[];
  "runs-on"?: string;
}

interface Workflow {
  file: string;
  text: string;
  on: Dict;
  env?: Dict;
  permissions?: Dict | string;
  jobs: Record<string, Job>;
}

function readWorkflows(): Workflow[] {
  const files = fs.existsSync(WORKFLOW_DIR)
    ? fs.readdirSync(WORKFLOW_DIR).filter((file) => /\.ya?ml$/.test(file))
    : [];
  return files.sort().map((file) => {
    const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
    const doc = parse(text) as Omit<Workflow, "file" | "text">;
    assert.ok(doc !== null && typeof doc === "object", `${file} is not a YAML mapping`);
    assert.ok(doc.on !== undefined && doc.jobs !== undefined, `${file} needs \`on\` and \`jobs\``);
    return { file, text, ...doc };
  });
}

// Read inside the tests, so a missing or broken workflow fails them instead of aborting the whole mocha run.
let workflows: Workflow[] = [];
before(() => {
  workflows = readWorkflows();
});

function workflow(file: string): Workflow {
  const found = workflows.find((candidate) => candidate.file === file);
  assert.ok(found !== undefined, `.github/workflows/${file} is missing`);
  return found;
}

const stackFile = (stack: string) => path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
const exists = (relative: string) => fs.existsSync(path.join(REPO_ROOT, relative));

function stackConfig(stack: string): Dict {
  assert.ok(fs.existsSync(stackFile(stack)), `stacks/Pulumi.${stack}.yaml does not exist`);
  const doc = parse(fs.readFileSync(stackFile(stack), "utf8")) as { config?: Dict } | null;
  return doc?.config ?? {};
}

/** The values one job runs with: one binding per matrix entry, or per call of a reusable workflow. */
type Bindings = Record<string, string>;

function callersOf(file: string): Array<{ workflow: Workflow; jobId: string; job: Job }> {
  return workflows.flatMap((caller) =>
    Object.entries(caller.jobs)
      .filter(([, job]) => job.uses === `./.github/workflows/${file}`)
      .map(([jobId, job]) => ({ workflow: caller, jobId, job })),
  );
}

function bindingsOf(wf: Workflow, job: Job): Bindings[] {
  const matrixStacks = job.strategy?.matrix?.stack;
  if (Array.isArray(matrixStacks)) return matrixStacks.map((stack) => ({ "matrix.stack": String(stack) }));
  if (wf.on.workflow_call !== undefined) {
    return callersOf(wf.file).map(({ job: caller }) =>
      Object.fromEntries(Object.entries(caller.with ?? {}).map(([key, value]) => [`inputs.${key}`, String(value)])),
    );
  }
  return [{}];
}

/** Substitutes `${{ matrix.x }}` and `${{ inputs.x }}`; anything else stays an expression. */
function expand(value: unknown, bindings: Bindings): string {
  return String(value).replace(/\$\{\{\s*((?:matrix|inputs)\.[\w-]+)\s*\}\}/g, (whole, name: string) => bindings[name] ?? whole);
}

interface StepInstance {
  wf: Workflow;
  jobId: string;
  job: Job;
  step: Step;
  bindings: Bindings;
}

function stepInstances(): StepInstance[] {
  return workflows.flatMap((wf) =>
    Object.entries(wf.jobs).flatMap(([jobId, job]) =>
      bindingsOf(wf, job).flatMap((bindings) => (job.steps ?? []).map((step) => ({ wf, jobId, job, step, bindings }))),
    ),
  );
}

const isPulumiAction = (step: Step) => step.uses?.split("@")[0] === "pulumi/actions";
const where = (s: StepInstance) => `${s.wf.file} job ${s.jobId} step "${s.step.name ?? s.step.uses ?? s.step.run}"`;

/** Every string in a YAML tree with the mapping key it sits under. */
function* strings(node: unknown, key = ""): Generator<{ key: string; value: string }> {
  if (typeof node === "string") yield { key, value: node };
  else if (Array.isArray(node)) for (const item of node) yield* strings(item, key);
  else if (node !== null && typeof node === "object") {
    for (const [childKey, child] of Object.entries(node)) {
      // `permissions: { id-token: write }` grants a token; it holds none.
      if (childKey !== "permissions") yield* strings(child, childKey);
    }
  }
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

function runtimeStage(): Stage {
  return readDockerfile().stages.at(-1) as Stage;
}

const SECRET_KEY = /token|secret|password|passphrase|credential|kubeconfig|private[-_]?key|access[-_]?key/i;
/** Keys that match SECRET_KEY but name no secret. */
const NOT_SECRETS = new Set(["requested-token-type"]);
const FROM_SECRET_STORE = /^\$\{\{\s*(secrets\.\w+|secrets\[[^\]]+\]|github\.token)\s*\}\}$/;
const SECRET_LITERALS = [
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bpul-[0-9a-f]{40}\b/,
  /\beyJ[\w-]{10,}\.[\w-]{10,}\./,
  /[a-z]+:\/\/[^\s:/@]+:[^\s@$]+@/,
];

/** Secret-looking values written into a workflow, or secret-named keys not fed from the secret store. */
function secretProblems(doc: unknown): string[] {
  const problems: string[] = [];
  for (const { key, value } of strings(doc)) {
    if (SECRET_LITERALS.some((literal) => literal.test(value))) problems.push(`${key} holds a secret literal`);
    // `secrets: inherit` passes the caller's secrets to a reusable workflow by reference.
    if (key === "secrets" && value === "inherit") continue;
    if (SECRET_KEY.test(key) && !NOT_SECRETS.has(key) && !FROM_SECRET_STORE.test(value)) {
      problems.push(`${key} must come from \${{ secrets.* }}`);
    }
  }
  return problems;
}

describe("GitHub workflows", () => {
  it("exist and parse", () => {
    for (const file of ["pull-request.yml", "deploy.yml", "deploy-stack.yml"]) workflow(file);
  });

  describe("stacks and policy pack", () => {
    it("name only stacks that have a stacks/Pulumi.<stack>.yaml", () => {
      const named = new Set<string>();
      for (const wf of workflows) {
        for (const [jobId, job] of Object.entries(wf.jobs)) {
          for (const stack of (job.strategy?.matrix?.stack as unknown[] | undefined) ?? []) named.add(String(stack));
          if (job.uses?.startsWith("./.github/workflows/")) {
            const stack = job.with?.stack;
            assert.ok(typeof stack === "string", `${wf.file} job ${jobId} calls a deployment without a stack`);
            named.add(stack);
          }
        }
      }
      for (const instance of stepInstances().filter((s) => isPulumiAction(s.step) && s.step.with?.command !== undefined)) {
        named.add(expand(instance.step.with?.["stack-name"], instance.bindings));
      }
      assert.deepEqual([...named].sort(), [...STACKS].sort(), "the workflows should cover exactly the four stacks");
      for (const stack of named) {
        assert.doesNotMatch(stack, /\$\{\{/, `unresolved stack name ${stack}`);
        assert.ok(fs.existsSync(stackFile(stack)), `stacks/Pulumi.${stack}.yaml does not exist`);
      }
    });

    it("run every preview and update through pulumi/actions at its current major, with the policy pack", () => {
      const pulumiSteps = stepInstances().filter((s) => isPulumiAction(s.step));
      assert.ok(pulumiSteps.length > 0);
      for (const instance of pulumiSteps) {
        assert.equal(instance.step.uses, `pulumi/actions@${PULUMI_ACTIONS_REF}`, where(instance));
        const command = instance.step.with?.command;
        if (command === undefined) continue;
        assert.ok(["preview", "up"].includes(String(command)), `${where(instance)}: unexpected command ${command}`);
        const stack = expand(instance.step.with?.["stack-name"], instance.bindings);
        assert.equal(instance.step.with?.policyPacks, "policy", where(instance));
        assert.equal(
          expand(instance.step.with?.policyPackConfigs, instance.bindings),
          `policy/config/${stack}.json`,
          where(instance),
        );
        assert.ok(exists(`policy/config/${stack}.json`), `policy/config/${stack}.json does not exist`);
      }
      assert.ok(exists("policy/PulumiPolicy.yaml"), "`policyPacks: policy` needs policy/PulumiPolicy.yaml");
      for (const instance of stepInstances()) {
        assert.doesNotMatch(
          instance.step.run ?? "",
          /\bpulumi\s+(up|update|preview|destroy)\b/,
          `${where(instance)}: run previews and updates through pulumi/actions, where the policy pack is checked`,
        );
      }
    });

    it("preview every stack on pull requests, after the checks, commenting on the pull request", () => {
      const pr = workflow("pull-request.yml");
      assert.ok(pr.on.pull_request !== undefined);
      const checks = pr.jobs.checks?.steps?.map((step) => step.run ?? "") ?? [];
      const order = ["npm ci", "npm run lint", "npm run typecheck", "npm run coverage"].map((command) =>
        checks.findIndex((run) => run.startsWith(command)),
      );
      assert.ok(order.every((index) => index >= 0), `checks must run ${order}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, "install, lint, typecheck, test under the coverage gate, in that order");

      const preview = pr.jobs.preview;
      assert.ok(needsOf(preview).includes("checks"));
      assert.deepEqual(preview.strategy?.matrix?.stack, STACKS);
      const step = preview.steps?.find((candidate) => isPulumiAction(candidate) && candidate.with?.command === "preview");
      assert.ok(step !== undefined, "the preview job has no pulumi/actions preview step");
      assert.equal(step.with?.["comment-on-pr"], true);
      assert.equal(step.with?.["stack-name"], "${{ matrix.stack }}");
      assert.equal((preview.permissions as Dict | undefined)?.["pull-requests"], "write");
    });
  });

  describe("image tag flow", () => {
    let deploy: Workflow;
    let deployStack: Workflow;
    before(() => {
      deploy = workflow("deploy.yml");
      deployStack = workflow("deploy-stack.yml");
    });

    it("never uses a latest tag or runner", () => {
      for (const wf of workflows) assert.doesNotMatch(wf.text, /latest/i, wf.file);
    });

    it("pushes to the repository every stack deploys from, named once in Pulumi.yaml", () => {
      const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> };
      const repository = project.config.imageRepository?.default;
      assert.ok(typeof repository === "string" && repository !== "", "Pulumi.yaml has no imageRepository default");
      for (const stack of STACKS) {
        const config = stackConfig(stack);
        assert.ok(!(`${PROJECT}:imageRepository` in config), `stacks/Pulumi.${stack}.yaml overrides imageRepository`);
        assert.equal((config[`${PROJECT}:image`] as Dict | undefined)?.repository, undefined, `stacks/Pulumi.${stack}.yaml sets image.repository`);
      }
      for (const wf of workflows) assert.ok(!wf.text.includes(repository), `${wf.file} repeats the repository instead of reading Pulumi.yaml`);
      for (const [jobId, job] of Object.entries(deploy.jobs)) {
        const steps = job.steps ?? [];
        const uses = steps.findIndex((step) => JSON.stringify(step).includes("IMAGE_REPOSITORY") && !/GITHUB_ENV/.test(step.run ?? ""));
        if (uses < 0) continue;
        const reads = steps.findIndex((step) => /yq -r '\.config\.imageRepository\.default' Pulumi\.yaml/.test(step.run ?? "") && /IMAGE_REPOSITORY=.*GITHUB_ENV/.test(step.run ?? ""));
        assert.ok(reads >= 0 && reads < uses, `deploy.yml job ${jobId} uses IMAGE_REPOSITORY before reading it from Pulumi.yaml`);
      }
    });

    it("tags the image with the commit SHA only, and builds it from service/Dockerfile with its labels", () => {
      const builds = (deploy.jobs.image?.steps ?? []).filter((step) => step.uses?.startsWith("docker/build-push-action@"));
      assert.ok(builds.some((step) => step.with?.push === true), "the image job never pushes");
      const dockerArgs = new Set(instructionsOf(runtimeStage(), "ARG").map((arg) => arg.args.split("=")[0]));
      for (const build of builds) {
        assert.equal(build.with?.tags, "${{ env.IMAGE_REPOSITORY }}:${{ github.sha }}");
        assert.equal(build.with?.file, "service/Dockerfile");
        assert.equal(build.with?.context, ".");
        const buildArgs = Object.fromEntries(
          String(build.with?.["build-args"])
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()]),
        );
        assert.equal(buildArgs.REVISION, "${{ github.sha }}");
        for (const name of Object.keys(buildArgs)) assert.ok(dockerArgs.has(name), `service/Dockerfile has no ARG ${name}`);
        for (const name of ["REVISION", "CREATED", "VERSION"]) assert.ok(name in buildArgs, `build-arg ${name} missing`);
      }
    });

    it("hands the SHA tag to each stack, in the order dev, test, staging; prod only from v* tags", () => {
      const push = deploy.on.push as { branches?: string[]; tags?: string[] };
      assert.deepEqual(push.branches, ["main"]);
      assert.deepEqual(push.tags, ["v*"]);
      const calls = callersOf("deploy-stack.yml").filter((call) => call.workflow.file === "deploy.yml");
      const byStack = new Map(calls.map((call) => [String(call.job.with?.stack), call]));
      assert.deepEqual([...byStack.keys()].sort(), [...STACKS].sort());
      for (const call of calls) {
        assert.equal(call.job.with?.["image-tag"], "${{ github.sha }}", `${call.jobId} image-tag`);
        assert.equal(call.job.secrets, "inherit", `${call.jobId} needs the environment's secrets`);
      }
      const jobIdOf = (stack: string) => byStack.get(stack)?.jobId as string;
      assert.deepEqual(needsOf(byStack.get("dev")?.job as Job), ["image"]);
      assert.deepEqual(needsOf(byStack.get("test")?.job as Job), [jobIdOf("dev")]);
      assert.deepEqual(needsOf(byStack.get("staging")?.job as Job), [jobIdOf("test")]);
      for (const stack of ["dev", "test", "staging"]) {
        assert.equal(byStack.get(stack)?.job.if, "github.ref == 'refs/heads/main'", stack);
      }
      for (const stack of STACKS) assert.equal(byStack.get(stack)?.job.with?.environment, `deploy-${stack}`, stack);
      const prod = byStack.get("prod")?.job as Job;
      assert.equal(prod.if, "startsWith(github.ref, 'refs/tags/v')");
      assert.equal(deploy.jobs.image.if, "github.ref == 'refs/heads/main'", "tags never rebuild the image");
    });

    it("sets the stack's image tag and environment from the caller's inputs", () => {
      const inputs = (deployStack.on.workflow_call as { inputs: Record<string, { required?: boolean }> }).inputs;
      for (const input of ["stack", "environment", "image-tag"]) assert.equal(inputs[input]?.required, true, input);
      const job = deployStack.jobs.deploy;
      assert.deepEqual(job.environment, { name: "${{ inputs.environment }}" });
      assert.equal(job.env?.IMAGE_TAG, "${{ inputs.image-tag }}");
      assert.equal(job.env?.STACK, "${{ inputs.stack }}");
      const runs = (job.steps ?? []).map((step) => step.run ?? "").join("\n");
      // The release is set as config for this runner's runs only, and read back from the stack's record.
      assert.match(runs, /pulumi config set --path --type string "release\.tags\.\$IDLE" "\$IMAGE_TAG"/);
      assert.match(runs, /pulumi config set --path --type string "release\.tags\.\$ACTIVE" "\$ACTIVE_TAG"/);
      assert.match(runs, /pulumi stack output release --json/);
      assert.doesNotMatch(runs, /config refresh/, "the live release comes from the stack's output, not its last config");
      assert.doesNotMatch(runs, /git (commit|push)/, "the release config is never committed");
      const config = stackConfig("dev");
      assert.ok((config[`${PROJECT}:image`] as Dict | undefined)?.tag !== undefined, "stacks lack image.tag");
      assert.ok((config[`${PROJECT}:blueGreen`] as Dict | undefined)?.active !== undefined, "stacks lack blueGreen.active");
    });

    it("smoke-tests after the switch and switches back when that fails", () => {
      const steps = deployStack.jobs.deploy.steps ?? [];
      const index = (predicate: (step: Step, position: number) => boolean, what: string) => {
        const found = steps.findIndex(predicate);
        assert.ok(found >= 0, `deploy-stack.yml has no ${what}`);
        return found;
      };
      const switchStep = index((step) => step.id === "switch", "step with id switch");
      assert.match(steps[switchStep].run ?? "", /pulumi config set --path release\.active "\$IDLE"/);
      const smoke = index((step, i) => i > switchStep && /scripts\/smoke-test\.sh/.test(step.run ?? ""), "smoke test after the switch");
      const rollback = steps.slice(smoke + 1);
      assert.ok(rollback.length > 0);
      for (const step of rollback) assert.equal(step.if, "failure() && steps.switch.outcome == 'success'", step.name);
      assert.ok(rollback.some((step) => /pulumi config set --path release\.active "\$ACTIVE"/.test(step.run ?? "")));
      assert.ok(rollback.some((step) => isPulumiAction(step) && step.with?.command === "up"));
      const script = path.join(REPO_ROOT, "scripts", "smoke-test.sh");
      assert.ok((fs.statSync(script).mode & 0o111) !== 0, "scripts/smoke-test.sh must be executable");
    });
  });

  describe("the page tier", () => {
    it("is smoke-tested wherever the API is, through the web Service of the same colour and on the stacks' ports", () => {
      const steps = (workflow("deploy-stack.yml").jobs.deploy.steps ?? []).filter((step) => /scripts\/smoke-test\.sh/.test(step.run ?? ""));
      assert.equal(steps.length, 3, "before the switch, after it, and after a rollback");
      for (const step of steps) {
        const run = step.run ?? "";
        const api = new RegExp(`port-forward service/(api(-preview)?) (\\d+):${APP_PORT}\\b`).exec(run);
        const web = new RegExp(`port-forward service/(web(-preview)?) (\\d+):${WEB_PORT}\\b`).exec(run);
        assert.ok(api !== null && web !== null, `${step.name}: forwards the api and web Services`);
        assert.equal(web[2], api[2], `${step.name}: the page of the colour whose API is checked`);
        const webOps = new RegExp(`port-forward "deployment/web-\\$COLOUR" (\\d+):${OPS_PORT}\\b`).exec(run);
        assert.ok(webOps !== null, `${step.name}: reaches a web pod's ops port`);
        assert.match(run, new RegExp(`scripts/smoke-test\\.sh --web http://127\\.0\\.0\\.1:${web[3]} http://127\\.0\\.0\\.1:${webOps[1]}`), step.name);
      }
    });

    it("runs the image's `web` command before the image is pushed, with no secret and a deployed APP_ENV", () => {
      const steps = workflow("deploy.yml").jobs.image.steps ?? [];
      const index = steps.findIndex((step) => /docker run\b[\s\S]*\bweb\s*$/m.test(step.run ?? ""));
      assert.ok(index >= 0, "no step runs the web command");
      const push = steps.findIndex((step) => step.with?.push === true);
      assert.ok(index < push, "the page is smoke-tested before the push");
      const run = steps[index].run ?? "";
      for (const flag of ["--read-only", "--cap-drop ALL", `--env PORT=${WEB_PORT}`, `--env OPS_PORT=${OPS_PORT}`, "--env APP_ENV=prod"]) {
        assert.ok(run.includes(flag), `the web container runs with ${flag}`);
      }
      assert.doesNotMatch(run, /DATABASE_URL|REDIS_URL|JWT_SECRET/, "the page tier holds no database, cache or secret");
      assert.match(run, new RegExp(`scripts/smoke-test\\.sh --web http://127\\.0\\.0\\.1:${WEB_PORT} http://127\\.0\\.0\\.1:${OPS_PORT}`));
    });
  });

  describe("the offline plan gate", () => {
    const planJobs = () =>
      Object.entries(workflow("pull-request.yml").jobs).filter(([, job]) =>
        (job.steps ?? []).some((step) => /npm run (--silent )?plan -- /.test(step.run ?? "")),
      );

    it("plans every stack against the pull request's base branch, failing on destructive changes", () => {
      const jobs = planJobs();
      assert.equal(jobs.length, 1, "pull-request.yml runs `npm run plan` in one job");
      const [jobId, job] = jobs[0];
      const step = (job.steps ?? []).find((s) => /npm run (--silent )?plan -- /.test(s.run ?? "")) as Step;
      const run = step.run ?? "";
      assert.match(run, /npm run (--silent )?plan -- "\$stack" --base "\$BASE" --fail-on-destructive/, `${jobId}: the gate's flag`);
      assert.equal(step.env?.BASE, "origin/${{ github.base_ref }}", `${jobId}: the base is the pull request's base branch`);
      const loop = /for stack in ([\w ]+); do/.exec(run);
      assert.ok(loop, `${jobId}: loops over the stacks`);
      assert.deepEqual(loop[1].trim().split(/\s+/).sort(), [...STACKS].sort(), `${jobId}: plans every stack`);
      const checkout = (job.steps ?? []).find((s) => s.uses?.startsWith("actions/checkout@"));
      assert.equal(checkout?.with?.["fetch-depth"], 0, `${jobId}: fetches the base branch's history`);
      const fails = (job.steps ?? []).some((s) => s.if?.includes(`steps.${step.id}.outputs.status`) && /exit 1/.test(s.run ?? ""));
      assert.ok(step.id !== undefined && fails, `${jobId}: a step fails the job on the plan's status`);
      assert.ok(!needsOf(job).includes("checks"), `${jobId}: runs without waiting for the tests, so a destructive change shows early`);
    });

    it("needs no credentials: no secrets, no OIDC token, only the pull request comment", () => {
      const [jobId, job] = planJobs()[0];
      const text = JSON.stringify(job);
      assert.ok(!/secrets[.[]/.test(text), `${jobId} reads a secret`);
      assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write" }, `${jobId} permissions`);
    });

    it("posts the plan as one comment, edited on every push", () => {
      const [jobId, job] = planJobs()[0];
      const post = (job.steps ?? []).find((s) => /gh api/.test(s.run ?? ""));
      assert.ok(post, `${jobId}: posts the plan`);
      assert.match(post.run ?? "", /--method PATCH/, `${jobId}: edits its earlier comment`);
      assert.match(post.run ?? "", /offline-plan/, `${jobId}: finds its comment by a marker`);
    });
  });

  describe("secrets", () => {
    it("come only from GitHub secrets or OIDC, never from the workflow files", () => {
      for (const { file, text: _text, ...doc } of workflows) assert.deepEqual(secretProblems(doc), [], file);
    });

    it("are caught by this test when written into a workflow", () => {
      const leaky = {
        jobs: {
          deploy: {
            permissions: { "id-token": "write" },
            secrets: "inherit",
            env: { PULUMI_ACCESS_TOKEN: "pul-0123456789abcdef0123456789abcdef01234567", GOOD_TOKEN: "${{ secrets.X }}" },
            steps: [{ with: { password: "hunter2", url: "postgres://app:s3cret@db:5432/app" } }],
          },
        },
      };
      assert.deepEqual(secretProblems(leaky).sort(), [
        "PULUMI_ACCESS_TOKEN holds a secret literal",
        "PULUMI_ACCESS_TOKEN must come from ${{ secrets.* }}",
        "password must come from ${{ secrets.* }}",
        "url holds a secret literal",
      ]);
    });

    it("log in to Pulumi with OIDC, granting id-token only where it is used", () => {
      for (const wf of workflows) {
        for (const [jobId, job] of Object.entries(wf.jobs)) {
          const usesOidc = (job.steps ?? []).some((step) => step.uses?.startsWith("pulumi/auth-actions@"));
          const grant = (job.permissions as Dict | undefined)?.["id-token"] ?? (wf.permissions as Dict | undefined)?.["id-token"];
          assert.equal(grant === "write", usesOidc, `${wf.file} job ${jobId}: id-token permission`);
          if (usesOidc) assert.ok(!/PULUMI_ACCESS_TOKEN/.test(wf.text), `${wf.file} mixes OIDC and an access token`);
        }
      }
    });
  });

  describe("credentials per stack", () => {
    it("hold no more than each job needs: preview-<stack> and deploy-<stack> environments, team tokens, no forks", () => {
      assert.deepEqual(credentialProblems(workflows), []);
      const preview = workflow("pull-request.yml").jobs.preview;
      assert.deepEqual(preview.environment, "preview-${{ matrix.stack }}");
      assert.equal(preview.if, "github.event.pull_request.head.repo.full_name == github.repository");
      // The program reads the live release from the stack's record; a config refresh would only add a stale copy.
      assert.doesNotMatch((preview.steps ?? []).map((step) => step.run ?? "").join("\n"), /config refresh/);
    });

    it("fail on each regression: a repository-wide or other stack's secret, no environment, forks, an organisation token", () => {
      const broken = (change: (copy: Workflow[]) => void): string[] => {
        const copy = structuredClone(workflows);
        change(copy);
        return credentialProblems(copy);
      };
      const find = (copy: Workflow[], file: string) => copy.find((wf) => wf.file === file) as Workflow;
      const previewOf = (copy: Workflow[]) => find(copy, "pull-request.yml").jobs.preview;
      const cases: Array<[string, (copy: Workflow[]) => void, RegExp]> = [
        ["per-stack repository secret", (copy) => {
          const step = previewOf(copy).steps?.find((candidate) => candidate.env?.KUBECONFIG_CONTENT !== undefined) as Step;
          step.env = { KUBECONFIG_CONTENT: "${{ secrets[format('KUBECONFIG_{0}', matrix.stack)] }}" };
        }, /reads \$\{\{ secrets\[format/],
        ["prod's deploy secret", (copy) => {
          previewOf(copy).steps?.push({ name: "deploy", env: { TOKEN: "${{ secrets.DEPLOY_KUBECONFIG_PROD }}" } });
        }, /reads \$\{\{ secrets\.DEPLOY_KUBECONFIG_PROD \}\}/],
        ["no environment", (copy) => void delete previewOf(copy).environment, /outside its stack's preview environment/],
        ["a deploy environment", (copy) => void (previewOf(copy).environment = "deploy-${{ matrix.stack }}"), /outside its stack's preview environment/],
        ["forks", (copy) => void delete previewOf(copy).if, /without skipping forks/],
        ["pull_request_target", (copy) => void (find(copy, "pull-request.yml").on.pull_request_target = {}), /pull_request_target/],
        ["an organisation token", (copy) => {
          const login = previewOf(copy).steps?.find((step) => step.uses?.startsWith("pulumi/auth-actions@")) as Step;
          login.with = { ...login.with, "requested-token-type": "urn:pulumi:token-type:access_token:organization" };
        }, /only a team token/],
        ["prod deployed from another environment", (copy) => {
          const prod = Object.values(find(copy, "deploy.yml").jobs).find((job) => job.with?.stack === "prod") as Job;
          prod.with = { ...prod.with, environment: "production" };
        }, /deploys prod from environment production, not deploy-prod/],
      ];
      for (const [name, change, expected] of cases) assert.match(broken(change).join("\n"), expected, name);
    });
  });

  it("test against the PostgreSQL major version the stacks run", () => {
    const serverMajor = /^(\d+)/.exec(images.cnpgPostgres.tag)?.[1];
    const checks = workflow("pull-request.yml").jobs.checks;
    assert.match(checks.services?.postgres?.image ?? "", new RegExp(`^postgres:${serverMajor}\\.`));
    const runs = (checks.steps ?? []).map((step) => step.run ?? "").join("\n");
    assert.match(runs, new RegExp(`postgresql-client-${serverMajor}\\b`), "pg_dump must match the server");
  });

  it("pin every action to a major version and every container image to a release", () => {
    for (const instance of stepInstances()) {
      const uses = instance.step.uses;
      if (uses === undefined || uses.startsWith("./")) continue;
      assert.match(uses, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, where(instance));
    }
    for (const wf of workflows) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        assert.ok(job.uses !== undefined || /^ubuntu-\d+\.\d+$/.test(String(job["runs-on"])), `${wf.file} ${jobId} runs-on`);
        for (const service of Object.values(job.services ?? {})) {
          assert.match(service.image, /:\d+(\.\d+)+[\w.-]*$/, `${wf.file} ${jobId} service image ${service.image}`);
        }
      }
    }
  });
});
