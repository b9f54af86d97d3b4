// The in-process runner against the real thing: the pack served by @pulumi/policy (as `pulumi preview
// --policy-pack policy` starts it), called over gRPC the way the Pulumi engine calls it.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { loadManifests } from "../../policy/manifests";
import { policies } from "../../policy/pack";
import { loadPolicyConfig, PolicyViolation, resolvePolicyConfig, runPolicies, StackResource } from "../../policy/runner";

const LEVELS = {
  advisory: analyzer.EnforcementLevel.ADVISORY,
  mandatory: analyzer.EnforcementLevel.MANDATORY,
  disabled: analyzer.EnforcementLevel.DISABLED,
  remediate: analyzer.EnforcementLevel.REMEDIATE,
};

interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: "advisory" | "mandatory";
  urn: string;
}

function serve(): Promise<{ server: ChildProcess; port: number }> {
  const server = spawn(process.execPath, ["-r", "ts-node/register", "index.ts"], { cwd: path.join(__dirname, "../../policy"), stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let stderr = "";
    let stdout = "";
    server.stderr?.on("data", (chunk) => (stderr += chunk));
    // The server prints the port it listens on, then a newline.
    server.stdout?.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("\n")) {
        resolve({ server, port: Number(stdout.trim()) });
      }
    });
    server.once("exit", (code) => reject(new Error(`the policy pack exited with ${code}: ${stderr}`)));
  });
}

function unary<Request, Response>(method: (request: Request, callback: (error: grpc.ServiceError | null, response: Response) => void) => unknown, request: Request): Promise<Response> {
  return new Promise((resolve, reject) => method(request, (error, response) => (error ? reject(error) : resolve(response))));
}

function options(resource: StackResource): analyzer.AnalyzerResourceOptions {
  const result = new analyzer.AnalyzerResourceOptions();
  if (resource.parent) {
    result.setParent(resource.parent);
  }
  return result;
}

function diagnostics(response: analyzer.AnalyzeResponse, urn = ""): Diagnostic[] {
  return response.getDiagnosticsList().map((diagnostic) => ({
    policyName: diagnostic.getPolicyname(),
    message: diagnostic.getMessage(),
    enforcementLevel: diagnostic.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
    urn: diagnostic.getUrn() || urn,
  }));
}

/** The runner's violations as the engine prints them: the description, then the policy's message. */
function asEngine(violation: PolicyViolation): Diagnostic {
  return {
    policyName: violation.policyName,
    message: `${violation.description}\n${violation.message}`,
    enforcementLevel: violation.enforcementLevel,
    urn: violation.urn ?? "",
  };
}

describe("the policy pack served to the Pulumi engine", () => {
  let server: ChildProcess;
  let client: AnalyzerClient;

  before(async () => {
    const served = await serve();
    server = served.server;
    client = new AnalyzerClient(`127.0.0.1:${served.port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    server?.kill();
  });

  it("describes every policy of the pack", async () => {
    const info = await unary<Empty, analyzer.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
    assert.strictEqual(info.getName(), "kubernetes-guardrails");
    assert.deepStrictEqual(
      info.getPoliciesList().map((policy) => policy.getName()),
      policies.map((policy) => policy.name),
    );
  });

  it("reports exactly what the in-process runner reports", async () => {
    const config = loadPolicyConfig("staging");
    const request = new analyzer.ConfigureAnalyzerRequest();
    for (const [name, resolved] of resolvePolicyConfig(config)) {
      const policyConfig = new analyzer.PolicyConfig();
      policyConfig.setEnforcementlevel(LEVELS[resolved.enforcementLevel]);
      policyConfig.setProperties(Struct.fromJavaScript(resolved.properties as Record<string, never>));
      request.getPolicyconfigMap().set(name, policyConfig);
    }
    await unary(client.configure.bind(client), request);

    // Every example: good, bad, and broken ones (a schema-invalid object, an unknown kind).
    const { resources } = loadManifests([path.join(__dirname, "../../policy/examples")]);
    const fromEngine: Diagnostic[] = [];
    for (const resource of resources) {
      const analyze = new analyzer.AnalyzeRequest()
        .setType(resource.type)
        .setName(resource.name)
        .setUrn(resource.urn)
        .setProperties(Struct.fromJavaScript(resource.props as Record<string, never>))
        .setOptions(options(resource));
      fromEngine.push(...diagnostics(await unary(client.analyze.bind(client), analyze), resource.urn));
    }
    const stack = new analyzer.AnalyzeStackRequest().setResourcesList(
      resources.map((resource) =>
        new analyzer.AnalyzerResource()
          .setType(resource.type)
          .setName(resource.name)
          .setUrn(resource.urn)
          .setProperties(Struct.fromJavaScript(resource.props as Record<string, never>))
          .setOptions(options(resource)),
      ),
    );
    fromEngine.push(...diagnostics(await unary(client.analyzeStack.bind(client), stack)));

    const report = await runPolicies(resources, config);
    assert.ok(fromEngine.length > 20);
    assert.deepStrictEqual(report.violations.map(asEngine), fromEngine);
  });
});
