// Runs the pack in-process, without the Pulumi CLI: resource policies over each resource, then stack
// policies over all of them, with the validation arguments the engine builds (see @pulumi/policy's
// server.js) and the policy config reconciled and validated the way the engine does it.
import type {
  EnforcementLevel,
  Policies,
  PolicyPackConfig,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import { resolvePolicyConfig, type ResolvedPolicyConfig } from "./lib/packConfig";
import { packEnforcementLevel, packName, policies as packPolicies } from "./pack";
import packageJson from "./package.json";

// @pulumi/policy ships proxy.js without public typings; these are its exports the engine uses on every resource.
const { unknownCheckingProxy, UnknownValueError } = proxyModule as unknown as {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
};

/** A resource as a program registered it: inputs as `props`, parent and dependencies as URNs. */
export interface StackResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  provider?: PolicyProviderResource;
  opts?: Partial<Omit<PolicyResourceOptions, "parent">>;
  /** Where the resource came from (a manifest file and document), shown in reports. */
  source?: string;
}

export interface PolicyViolation {
  policyName: string;
  description: string;
  /** What the policy reported; the engine prints it after the description. */
  message: string;
  enforcementLevel: "advisory" | "mandatory";
  severity?: Severity;
  urn?: string;
  resourceType?: string;
  resourceName?: string;
  source?: string;
}

export interface NotApplicable {
  policyName: string;
  urn?: string;
  reason?: string;
}

export interface PolicyReport {
  stack?: string;
  violations: PolicyViolation[];
  notApplicable: NotApplicable[];
  policiesRun: number;
  resourcesChecked: number;
}

export interface RunOptions {
  /** Stack name, shown in the report. */
  stack?: string;
  /** Policies to run instead of the pack's (tests). */
  policies?: Policies;
  /** Pack enforcement level, for policies without their own. */
  enforcementLevel?: EnforcementLevel;
}


/** What `args.notApplicable()` throws. Not an Error: most policies skip most resources, and a stack trace each is slow. */
class NotApplicableError {
  constructor(readonly reason?: string) {}
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The properties as the engine hands them to policies: secrets unwrapped, undefined properties dropped. */
function toEngineValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((element) => (element === undefined ? null : toEngineValue(element)));
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG_KEY] === SECRET_SIG) {
    return toEngineValue(record.value);
  }
  return Object.fromEntries(
    Object.entries(record)
      .filter(([, child]) => child !== undefined)
      .map(([key, child]) => [key, toEngineValue(child)]),
  );
}

/**
 * Makes every property read-only (but configurable, so the unknown-checking proxy still wraps nested values:
 * a proxy must hand out a non-configurable read-only property unwrapped) and the objects closed to new ones.
 */
function readOnly<T>(value: T): T {
  if (value !== null && typeof value === "object" && Object.isExtensible(value)) {
    for (const key of Object.keys(value)) {
      readOnly((value as Record<string, unknown>)[key]);
      Object.defineProperty(value, key, { writable: false, configurable: true });
    }
    Object.preventExtensions(value);
  }
  return value;
}

const engineValues = new WeakMap<StackResource, Record<string, unknown>>();

/**
 * The properties as a policy sees them. The engine deserializes a fresh copy for every policy; converting once per
 * resource and making it read-only is as safe (a policy that writes to its props fails here, loudly) and far cheaper.
 */
function engineProps(resource: StackResource): Record<string, unknown> {
  let value = engineValues.get(resource);
  if (value === undefined) {
    value = readOnly(toEngineValue(resource.props) as Record<string, unknown>);
    engineValues.set(resource, value);
  }
  return unknownCheckingProxy(value);
}

function resourceOptions(resource: StackResource): PolicyResourceOptions {
  return {
    protect: resource.opts?.protect ?? false,
    ignoreChanges: resource.opts?.ignoreChanges ?? [],
    aliases: resource.opts?.aliases ?? [],
    customTimeouts: resource.opts?.customTimeouts ?? { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: resource.opts?.additionalSecretOutputs ?? [],
    ...(resource.opts?.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: resource.opts.deleteBeforeReplace } : {}),
    ...(resource.parent ? { parent: resource.parent } : {}),
  };
}

/** `isType` as the engine implements it: by the class's `__pulumiType`, else by its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = (resourceClass as { __pulumiType?: unknown }).__pulumiType;
  if (typeof pulumiType === "string" && pulumiType.length > 0) {
    return type === pulumiType;
  }
  const isInstance = (resourceClass as { isInstance?: unknown }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function pulumiTypeOf(fn: unknown): string | undefined {
  const pulumiType = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof pulumiType === "string" && pulumiType.length > 0 ? pulumiType : undefined;
}

const emptyStackTags: ReadonlyMap<string, string> = new Map();

function isResourcePolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is ResourceValidationPolicy {
  const validation = (policy as ResourceValidationPolicy).validateResource;
  return typeof validation === "function" || (Array.isArray(validation) && validation.every((v) => typeof v === "function"));
}

function isStackPolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is StackValidationPolicy {
  return typeof (policy as StackValidationPolicy).validateStack === "function";
}

class Analysis {
  readonly violations: PolicyViolation[] = [];
  readonly notApplicable: NotApplicable[] = [];

  constructor(private readonly config: Map<string, ResolvedPolicyConfig>) {}

  levelOf(policy: ResourceValidationPolicy | StackValidationPolicy): EnforcementLevel {
    return this.config.get(policy.name)?.enforcementLevel ?? "advisory";
  }

  getConfigFor(policy: ResourceValidationPolicy | StackValidationPolicy): <T extends object>() => T {
    return <T extends object>() => structuredClone(this.config.get(policy.name)?.properties ?? {}) as T;
  }

  reporter(policy: ResourceValidationPolicy | StackValidationPolicy, resource?: StackResource, byUrn?: Map<string, StackResource>): ReportViolation {
    const enforcementLevel = this.levelOf(policy) === "advisory" ? "advisory" : "mandatory";
    return (message: string, urn?: string) => {
      const subject = resource ?? (urn ? byUrn?.get(urn) : undefined);
      this.violations.push({
        policyName: policy.name,
        description: policy.description,
        message,
        enforcementLevel,
        severity: policy.severity,
        urn: resource?.urn ?? urn,
        resourceType: subject?.type,
        resourceName: subject?.name,
        source: subject?.source,
      });
    };
  }

  /** Handles what a validation threw the way the engine does: not applicable, unknown during preview, or a failure. */
  caught(error: unknown, policy: ResourceValidationPolicy | StackValidationPolicy, urn?: string): void {
    const policyFrom = `policy '${policy.name}' from policy pack '${packName}@v${packageJson.version}'`;
    if (error instanceof NotApplicableError) {
      this.notApplicable.push({ policyName: policy.name, urn, reason: error.reason });
    } else if (error instanceof UnknownValueError) {
      this.violations.push({
        policyName: policy.name,
        description: policy.description,
        message: `can't run ${policyFrom} during preview: ${error.message}`,
        enforcementLevel: "advisory",
        severity: policy.severity,
        urn,
      });
    } else {
      throw new Error(`Error validating resource with ${policyFrom}:\n${error instanceof Error ? error.stack : String(error)}`);
    }
  }

  async validateResource(policy: ResourceValidationPolicy, resource: StackResource): Promise<void> {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    const fastType = validations.length === 1 ? pulumiTypeOf(validations[0]) : undefined;
    if (validations.length === 0 || (fastType && fastType !== resource.type)) {
      const reason = validations.length === 0 ? "Policy does not implement validateResource" : `Policy only applies to resources of type '${fastType}'`;
      this.notApplicable.push({ policyName: policy.name, urn: resource.urn, reason });
      return;
    }
    const report = this.reporter(policy, resource);
    for (const validation of validations) {
      const props = engineProps(resource);
      const args: ResourceValidationArgs = {
        type: resource.type,
        props,
        urn: resource.urn,
        name: resource.name,
        opts: resourceOptions(resource),
        stackTags: emptyStackTags,
        isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
        asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: this.getConfigFor(policy),
        notApplicable: throwNotApplicable,
        ...(resource.provider ? { provider: resource.provider } : {}),
      };
      try {
        await validation(args, report);
      } catch (error) {
        this.caught(error, policy, resource.urn);
      }
    }
  }

  async validateStack(policy: StackValidationPolicy, resources: StackResource[]): Promise<void> {
    const fastType = pulumiTypeOf(policy.validateStack);
    if (fastType && !resources.some((resource) => resource.type === fastType)) {
      this.notApplicable.push({ policyName: policy.name, reason: `Policy only applies to resources of type '${fastType}'` });
      return;
    }
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
    try {
      const args: StackValidationArgs = {
        resources: policyResources(resources),
        stackTags: emptyStackTags,
        getConfig: this.getConfigFor(policy),
        notApplicable: throwNotApplicable,
      };
      await policy.validateStack(args, this.reporter(policy, undefined, byUrn));
    } catch (error) {
      this.caught(error, policy);
    }
  }
}

/** The stack's resources as `StackValidationArgs.resources`: parents, dependencies and property dependencies linked. */
function policyResources(resources: StackResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const linked = resources.map((resource) => {
    const props = engineProps(resource);
    const policyResource: PolicyResource = {
      type: resource.type,
      props,
      urn: resource.urn,
      name: resource.name,
      opts: resourceOptions(resource),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
      ...(resource.provider ? { provider: resource.provider } : {}),
    };
    byUrn.set(resource.urn, policyResource);
    return { resource, policyResource };
  });
  const resolve = (urns: string[] | undefined) => (urns ?? []).flatMap((urn) => byUrn.get(urn) ?? []);
  for (const { resource, policyResource } of linked) {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    if (parent) {
      policyResource.parent = parent;
    }
    policyResource.dependencies = resolve(resource.dependencies);
    for (const [property, urns] of Object.entries(resource.propertyDependencies ?? {})) {
      policyResource.propertyDependencies[property] = resolve(urns);
    }
  }
  return linked.map(({ policyResource }) => policyResource);
}

/**
 * Runs the resource policies over every resource (in order), then the stack policies over all of them, with the
 * given `--policy-pack-config` content. Throws PolicyConfigError when the config is invalid.
 */
export async function runPolicies(resources: StackResource[], config: PolicyPackConfig = {}, options: RunOptions = {}): Promise<PolicyReport> {
  const policies = options.policies ?? packPolicies;
  const resolved = resolvePolicyConfig(config, policies, options.enforcementLevel ?? packEnforcementLevel);
  const analysis = new Analysis(resolved);
  const enabled = policies.filter((policy) => analysis.levelOf(policy) !== "disabled");
  for (const resource of resources) {
    for (const policy of enabled.filter(isResourcePolicy)) {
      await analysis.validateResource(policy, resource);
    }
  }
  for (const policy of enabled.filter(isStackPolicy)) {
    await analysis.validateStack(policy, resources);
  }
  return {
    stack: options.stack,
    violations: analysis.violations,
    notApplicable: analysis.notApplicable,
    policiesRun: enabled.length,
    resourcesChecked: resources.length,
  };
}

export { formatReport, hasMandatoryViolations } from "./report";
export { loadPolicyConfig, PolicyConfigError, resolvePolicyConfig } from "./lib/packConfig";
