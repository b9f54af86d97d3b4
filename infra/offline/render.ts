/**
 * Runs the real Pulumi program for one stack under Pulumi's mock runtime: no CLI, no cluster, no network.
 *
 * Stable API (tests, `npm run preview`, and the policy pack's offline runner use it):
 *
 *   renderStack(stack: string, overrides?: Record<string, unknown>, options?: RenderOptions): Promise<RenderedStack>
 *   renderProject(project: OfflineProject, stack, overrides?, options?): the same for another project of this repository
 *     (platform/offline.ts renders the platform project with it)
 *
 * - `stack`: dev | test | staging | prod; its config is Pulumi.yaml's defaults overlaid by
 *   stacks/Pulumi.<stack>.yaml, exactly what the CLI would pass. The platform stack its `platform.stack` names is
 *   rendered first (platform/stacks/Pulumi.<cluster>.yaml, by the platform program) and its outputs answer the
 *   environment's StackReference.
 * - `overrides`: config changes applied last, by path relative to the project namespace, like
 *   `pulumi config set --path`: `{ "image.tag": "latest" }`, `{ "api.minReplicas": 0 }`; `undefined` removes a key.
 * - `options.mode`: `preview` (default, `pulumi preview`) or `update` (`pulumi up`): deployment-readiness problems
 *   are warnings in the first and stop the second. `options.previousOutputs`: the stack's outputs at its last
 *   deployment (the release record the program reads back); unset, a stack never deployed.
 * - Resolves to a `RenderedStack` once every registration has finished; rejects with the program's error (for a
 *   bad config: `stack "prod": config key "football-prediction:image.tag" must not be "latest"`).
 *
 * Each resource carries its plain `inputs` with secrets unwrapped (what a policy sees as `props`), the paths
 * that were secret, and its dependencies; `policyResources` (infra/offline/policy.ts) hands them to the policy pack.
 *
 * Mocks and config are process-wide in @pulumi/pulumi, so renders run one at a time (calls are queued).
 */
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import path from "node:path";
import platformProgram from "../../platform/index";
import { PLATFORM_PROJECT } from "../../platform/outputs";
import { PROJECT } from "../config";
import program from "../index";
import { ENVIRONMENT_PROJECT, loadStackConfig, REPO_ROOT, stackFile, type ProjectFiles } from "./stackConfig";

export interface RenderedResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Pulumi logical name. */
  name: string;
  urn: string;
  /** URN of the parent resource (the stack for top-level components). */
  parent?: string;
  /** True for provider-managed resources, false for components and the stack. */
  custom: boolean;
  /** Inputs as registered, with every secret replaced by its plain value. */
  inputs: Record<string, unknown>;
  /** Paths in `inputs` (`stringData`, `spec.containers[0].env`) whose values were Pulumi secrets. */
  secretPaths: string[];
  /** URNs this resource depends on: explicit `dependsOn` and those implied by its inputs. */
  dependsOn: string[];
  /**
   * Per top-level input (`spec`, `stringData`), the URNs whose outputs it was built from: the engine marks exactly
   * these inputs unknown when such a resource is deleted before its replacement (infra/plan reads them).
   */
  propertyDependencies: Record<string, string[]>;
  /** The provider reference (`<provider URN>::<id>`) of a custom resource with an explicit provider. */
  provider?: string;
  /** The resource options the engine acts on when it plans a change (the mock runtime ignores them). */
  options: ResourceOptionsSeen;
}

/** Resource options as the engine receives them. */
export interface ResourceOptionsSeen {
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Property paths whose program values the engine replaces by the state's before it diffs. */
  ignoreChanges: string[];
}

/** How the program is run: `preview` is `pulumi preview` (`pulumi.runtime.isDryRun()`), `update` is `pulumi up`. */
export type RenderMode = "preview" | "update";

export interface RenderOptions {
  /** Default `preview`: what the offline preview and most tests model. */
  mode?: RenderMode;
  /**
   * The outputs of the stack's last deployment, as a StackReference to the stack itself reads them; absent, the
   * stack has never been deployed.
   */
  previousOutputs?: Record<string, unknown>;
  /**
   * Outputs of the other stacks the program reads through StackReferences, by fully qualified name. `renderStack`
   * fills in the platform stack the environment names, computed from platform/stacks unless given here.
   */
  references?: StackReferences;
}

export interface RenderedStack {
  stack: string;
  /** The Pulumi project the stack belongs to. */
  project: string;
  /** The stack's config file, relative to the repository root. */
  configFile: string;
  resources: RenderedResource[];
  /** Stack outputs, resolved (secret outputs keep their plain value here; see `secretOutputs`). */
  outputs: Record<string, unknown>;
  /** Names of outputs that are Pulumi secrets. */
  secretOutputs: string[];
  /** Every string that reached a resource as a secret. */
  secretValues: string[];
  /** Values the mocked @pulumi/random generated: none may appear anywhere except under a secret path. */
  generatedSecrets: string[];
  /** The same values by the URN of the resource that generated each (a plan maps one render's values onto another's). */
  generated: Record<string, string>;
  /** Warnings the program logged (`pulumi.log.warn`), in order. */
  warnings: string[];
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function childPath(parent: string, key: string | number): string {
  return typeof key === "number" ? `${parent}[${key}]` : parent === "" ? key : `${parent}.${key}`;
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => collectStrings(v, into));
  } else if (value !== null && typeof value === "object") {
    Object.values(value).forEach((v) => collectStrings(v, into));
  }
}

/** Replaces secret envelopes by their values, recording where they were and what they held. */
function unwrapSecrets(value: unknown, at: string, paths: string[], values: Set<string>): unknown {
  if (isSecretEnvelope(value)) {
    paths.push(at);
    collectStrings(value.value, values);
    return unwrapSecrets(value.value, at, [], values);
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => unwrapSecrets(v, childPath(at, i), paths, values));
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, childPath(at, k), paths, values)]),
    );
  }
  return value;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function generatePassword(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
}

/** The parts of a RegisterResourceRequest the recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(each: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getProvider(): string;
  getObject(): unknown;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
}
type Callback = (err: unknown, response?: { getUrn(): string }) => void;
interface RecordableMonitor {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
}

/** A Pulumi project of this repository the harness can run: its files, and the function Pulumi runs as its program. */
export interface OfflineProject {
  files: ProjectFiles;
  program: () => Promise<Record<string, unknown>>;
}

const ENVIRONMENT: OfflineProject = { files: ENVIRONMENT_PROJECT, program };

/** The platform project's files (platform/offline.ts renders it for `npm run preview -- platform:<stack>`). */
export const PLATFORM_FILES: ProjectFiles = { name: PLATFORM_PROJECT, dir: path.join(REPO_ROOT, "platform"), stackConfigDir: "stacks" };
const PLATFORM: OfflineProject = { files: PLATFORM_FILES, program: platformProgram };

/** Outputs of the stacks a program reads through StackReferences, by fully qualified stack name. */
type StackReferences = Record<string, Record<string, unknown>>;

const STACK_REFERENCE = "pulumi:pulumi:StackReference";
/** The organization the mock runtime runs under: the name the CLI gives a self-managed backend's organization. */
const ORGANIZATION = "organization";

/** Without an engine (as under mocks) @pulumi/pulumi writes a warning to the console with this prefix. */
const RUNTIME_WARNING = "warning: [runtime] ";

/** Collects the program's warnings while it runs, into `RenderedStack.warnings` (the preview prints them). */
function captureWarnings(into: string[]): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith(RUNTIME_WARNING)) {
      into.push(args[0].slice(RUNTIME_WARNING.length));
    } else {
      warn(...args);
    }
  };
  return () => {
    console.warn = warn;
  };
}

async function runProgram(
  project: OfflineProject,
  stack: string,
  overrides: Record<string, unknown>,
  options: RenderOptions,
): Promise<RenderedStack> {
  const generatedSecrets: string[] = [];
  const generatedByName = new Map<string, string>();
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === STACK_REFERENCE) {
        // What the engine reads from the backend: the named stack's outputs at its last checkpoint. The stack
        // itself (its release record) answers with `previousOutputs`; any other stack must be one the caller gave.
        const name = String(args.inputs.name);
        const outputs = name === `${ORGANIZATION}/${project.files.name}/${stack}` ? (options.previousOutputs ?? {}) : options.references?.[name];
        if (outputs === undefined) {
          throw new Error(`offline: no stack "${name}" to reference (platform stacks: ${PLATFORM_FILES.stackConfigDir}/Pulumi.<stack>.yaml)`);
        }
        return { id: name, state: { name, outputs, secretOutputNames: [] } };
      }
      if (args.type === "random:index/randomPassword:RandomPassword") {
        const result = generatePassword(Number(args.inputs.length));
        generatedSecrets.push(result);
        generatedByName.set(`${args.type}::${args.name}`, result);
        state.result = result;
      }
      return { id: `${args.name}-id`, state };
    },
    call: () => ({}),
  };
  await pulumi.runtime.setMocks(mocks, project.files.name, stack, (options.mode ?? "preview") === "preview", ORGANIZATION);

  const resources: RenderedResource[] = [];
  const secretValues = new Set<string>();
  const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const secretPaths: string[] = [];
    const registered = pulumi.runtime.deserializeProperties(
      req.getObject() as Parameters<typeof pulumi.runtime.deserializeProperties>[0],
    );
    const inputs = unwrapSecrets(registered, "", secretPaths, secretValues);
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencies[key] = value.getUrnsList();
    });
    return register(req, (err, response) => {
      if (!err && response) {
        resources.push({
          type: req.getType(),
          name: req.getName(),
          urn: response.getUrn(),
          parent: req.getParent() || undefined,
          custom: req.getCustom(),
          inputs: inputs as Record<string, unknown>,
          secretPaths,
          dependsOn: req.getDependenciesList(),
          propertyDependencies,
          provider: req.getProvider() || undefined,
          options: {
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            ignoreChanges: req.getIgnorechangesList(),
          },
        });
      }
      callback(err, response);
    });
  };

  const { values, secretKeys } = loadStackConfig(stack, overrides, project.files);
  pulumi.runtime.setAllConfig(values, secretKeys);

  let stackOutputs: Record<string, unknown> = {};
  let programError: unknown;
  const warnings: string[] = [];
  const restoreWarn = captureWarnings(warnings);
  try {
    // As the CLI does: the default-exported function runs inside the root Stack resource. Its error is kept and
    // rethrown once the runtime is idle, so it rejects this render instead of surfacing as an unhandled rejection.
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        stackOutputs = await project.program();
      } catch (err) {
        programError = err;
      }
      return stackOutputs;
    });
    // Lets every pending registration finish (resources whose inputs waited on other outputs) before returning.
    await pulumi.runtime.disconnect();
  } finally {
    restoreWarn();
  }
  if (programError !== undefined) {
    throw programError;
  }

  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(stackOutputs)) {
    const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
    if (await pulumi.isSecret(output)) {
      secretOutputs.push(key);
    }
    outputs[key] = await new Promise((resolve) => output.apply(resolve));
  }
  const configFile = path.relative(REPO_ROOT, stackFile(stack, project.files));
  const generated: Record<string, string> = {};
  for (const resource of resources) {
    const value = generatedByName.get(`${resource.type}::${resource.name}`);
    if (value !== undefined) generated[resource.urn] = value;
  }
  return {
    stack,
    project: project.files.name,
    configFile,
    resources,
    outputs,
    secretOutputs,
    secretValues: [...secretValues],
    generatedSecrets,
    generated,
    warnings,
  };
}

/**
 * Pulumi records a stack trace for every promise it tracks; under ts-node each is source-mapped, which costs more
 * than the rest of a render. V8's own formatting is used meanwhile (stacks point into the transpiled JavaScript).
 */
async function withPlainStackTraces<T>(run: () => Promise<T>): Promise<T> {
  const prepare = Error.prepareStackTrace;
  Reflect.deleteProperty(Error, "prepareStackTrace");
  try {
    return await run();
  } finally {
    Object.assign(Error, { prepareStackTrace: prepare });
  }
}

let queue: Promise<unknown> = Promise.resolve();

export function renderProject(
  project: OfflineProject,
  stack: string,
  overrides: Record<string, unknown> = {},
  options: RenderOptions = {},
): Promise<RenderedStack> {
  const run = queue.then(() => withPlainStackTraces(() => runProgram(project, stack, overrides, options)));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The platform stack an environment's `platform.stack` names (`<org>/football-prediction-platform/<stack>`), when
 * it is one of this repository's platform stack files; otherwise none, and the program reports the config error.
 */
function referencedPlatformStack(values: Record<string, string>): { name: string; stack: string } | undefined {
  try {
    const name = (JSON.parse(values[`${PROJECT}:platform`] ?? "{}") as { stack?: unknown }).stack;
    const match = typeof name === "string" ? new RegExp(`^[^/]+/${PLATFORM_PROJECT}/([a-z0-9-]+)$`).exec(name) : null;
    return match === null ? undefined : { name: name as string, stack: match[1] };
  } catch {
    return undefined;
  }
}

/** The platform stack file an environment stack file references (`nonprod` for `dev`), if it names one here. */
export function platformStackOf(stack: string): string | undefined {
  return referencedPlatformStack(loadStackConfig(stack).values)?.stack;
}

const platformRenders = new Map<string, Promise<RenderedStack>>();

/** A platform stack's render, once per process: its outputs depend only on its own stack file. */
export function renderPlatformStack(
  stack: string,
  overrides: Record<string, unknown> = {},
  options: RenderOptions = {},
): Promise<RenderedStack> {
  if (Object.keys(overrides).length > 0 || Object.keys(options).length > 0) return renderProject(PLATFORM, stack, overrides, options);
  let render = platformRenders.get(stack);
  if (render === undefined) {
    render = renderProject(PLATFORM, stack);
    platformRenders.set(stack, render);
    render.catch(() => platformRenders.delete(stack));
  }
  return render;
}

/**
 * An environment stack, with the outputs of the platform stack it references computed offline from
 * platform/stacks/Pulumi.<stack>.yaml by the platform program itself, so the two cannot drift apart.
 */
export async function renderStack(stack: string, overrides: Record<string, unknown> = {}, options: RenderOptions = {}): Promise<RenderedStack> {
  const platform = referencedPlatformStack(loadStackConfig(stack, overrides).values);
  const references: StackReferences = { ...options.references };
  if (platform !== undefined && references[platform.name] === undefined) {
    try {
      references[platform.name] = (await renderPlatformStack(platform.stack)).outputs;
    } catch (error) {
      // A platform stack that does not exist here is reported by the program's StackReference instead.
      if (!(error instanceof Error && /ENOENT/.test(error.message))) throw error;
    }
  }
  return renderProject(ENVIRONMENT, stack, overrides, { ...options, references });
}
