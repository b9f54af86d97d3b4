import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { images } from "../../infra/images";
import { REPO_ROOT } from "../support/processes";
import {
  DOCKERFILE_PATH,
  DOCKERIGNORE_PATH,
  contextSources,
  dockerignoreAllows,
  envOf,
  execForm,
  flags,
  instructionsOf,
  keyValues,
  lastOf,
  parseDockerfile,
  readDockerfile,
  stripFlags,
  workdirOf,
  type Stage,
} from "./dockerfile";

const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1) as Stage;
const stageNames = new Set(dockerfile.stages.map((stage) => stage.name).filter((name) => name !== undefined));
const nodeVersion = fs.readFileSync(path.join(REPO_ROOT, ".nvmrc"), "utf8").trim();

function required<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `service/Dockerfile has no ${what}`);
  return value;
}

function runCommands(stage: Stage): string[] {
  return instructionsOf(stage, "RUN").map((instruction) => stripFlags(instruction.args));
}

describe("service/Dockerfile", () => {
  it("never mentions the latest tag", () => {
    assert.doesNotMatch(fs.readFileSync(DOCKERFILE_PATH, "utf8"), /latest/i);
  });

  it("pins every external base image to an exact version, on the Node release of .nvmrc", () => {
    const external = dockerfile.stages.filter((stage) => !stageNames.has(stage.from));
    assert.ok(external.length > 0);
    for (const { from } of external) {
      assert.doesNotMatch(from, /\$/, `${from}: base images are written out, not taken from build arguments`);
      assert.match(from, /^[\w./-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/, from);
      assert.match(from, /:\d+\.\d+\.\d+[\w.-]*|@sha256:/, `${from} must pin a full version or a digest`);
      if (from.startsWith("node:")) assert.ok(from.startsWith(`node:${nodeVersion}-`), `${from} is not node ${nodeVersion}`);
    }
  });

  it("is a multi-stage build whose runtime stage starts from a fresh base image", () => {
    assert.ok(dockerfile.stages.length >= 2, "expected separate build and runtime stages");
    assert.ok(!stageNames.has(runtime.from), "the runtime stage must not inherit a build stage's layers");
  });

  it("builds the service with the workspace's build script", () => {
    const commands = dockerfile.stages.flatMap(runCommands);
    assert.ok(commands.some((command) => /\bnpm ci\b.*-w service/.test(command) && !/--omit=dev/.test(command)));
    assert.ok(commands.some((command) => /\bnpm run build -w service\b/.test(command)));
  });

  it("builds the page with the web workspace's build script and ships only its built files", () => {
    const build = dockerfile.stages.find((stage) => runCommands(stage).some((command) => /\bnpm run build -w web\b/.test(command)));
    const builder = required(build, "stage running npm run build -w web");
    assert.ok(
      runCommands(builder).some((command) => /\bnpm ci\b.*-w web\b/.test(command) && !/--omit=dev/.test(command)),
      "the page's bundler is a dev dependency of the web workspace",
    );
    const pageCopies = instructionsOf(runtime, "COPY").filter((instruction) => /\bweb\b/.test(instruction.args));
    assert.deepEqual(
      pageCopies.map((instruction) => [flags(instruction.args).from, stripFlags(instruction.args)]),
      [[builder.name, "/app/web/dist /app/web/dist"]],
      "the runtime stage takes the built page, and nothing else of web/, from the build",
    );
  });

  it("gives the runtime stage only production dependencies, installed from the lockfile", () => {
    const copies = instructionsOf(runtime, "COPY").map((instruction) => ({
      from: flags(instruction.args).from,
      parts: stripFlags(instruction.args).split(/\s+/),
    }));
    const nodeModules = copies.find((copy) => copy.parts.at(-1) === "/app/node_modules");
    const source = required(nodeModules, "COPY into /app/node_modules");
    const depsStage = required(
      dockerfile.stages.find((stage) => stage.name === source.from),
      `stage ${source.from}`,
    );
    const installs = runCommands(depsStage).filter((command) => /\bnpm (ci|install)\b/.test(command));
    assert.equal(installs.length, 1, "the dependency stage installs exactly once");
    assert.match(installs[0], /\bnpm ci\b/);
    assert.match(installs[0], /--omit=dev/);
    assert.match(installs[0], /-w service\b/);
    assert.ok(!runCommands(runtime).some((command) => /\bnpm (ci|install|run)\b/.test(command)), "the runtime stage runs no npm");
  });

  it("lays the runtime stage out as the production-dependency test reproduces it", () => {
    assert.equal(workdirOf(runtime), "/app/service");
    const destinations = instructionsOf(runtime, "COPY").map((instruction) => {
      const parts = stripFlags(instruction.args).split(/\s+/);
      const target = parts.at(-1) as string;
      const resolved = path.posix.resolve("/app/service", target);
      const intoDirectory = target.endsWith("/") || target === ".";
      return intoDirectory && parts.length === 2 ? path.posix.join(resolved, path.posix.basename(parts[0])) : resolved;
    });
    // The service finds the page at ../web/dist from /app/service, as it does in the repository.
    for (const expected of ["/app/package.json", "/app/node_modules", "/app/service/package.json", "/app/service/dist", "/app/service/data", "/app/web/dist"]) {
      assert.ok(destinations.includes(expected), `nothing is copied to ${expected}`);
    }
  });

  it("ships the PostgreSQL client tools of the server's major version, first on PATH", () => {
    const major = instructionsOf(runtime, "ARG")
      .map((arg) => keyValues(arg.args).POSTGRES_MAJOR)
      .find((value) => value !== undefined);
    assert.equal(major, /^(\d+)/.exec(images.cnpgPostgres.tag)?.[1], "pg_dump must be at least as new as the server");
    assert.ok(
      runCommands(runtime).some((command) => /apt-get install\b.*"?postgresql-client-\$\{POSTGRES_MAJOR\}/.test(command)),
    );
    assert.ok(envOf(runtime).PATH?.startsWith("/usr/lib/postgresql/${POSTGRES_MAJOR}/bin:"));
  });

  it("starts the built service as `node dist/main.js serve`", () => {
    assert.deepEqual(execForm(required(lastOf(runtime, "ENTRYPOINT"), "ENTRYPOINT").args), ["node", "dist/main.js"]);
    assert.deepEqual(execForm(required(lastOf(runtime, "CMD"), "CMD").args), ["serve"]);
  });

  it("runs as a non-root numeric user", () => {
    const user = required(lastOf(runtime, "USER"), "USER").args;
    const match = /^(\d+)(?::(\d+))?$/.exec(user);
    assert.ok(match !== null, `USER ${user} is not numeric`);
    assert.notEqual(Number(match[1]), 0, "USER must not be root");
    if (match[2] !== undefined) assert.notEqual(Number(match[2]), 0, "the group must not be root");
  });

  it("writes only under /tmp, so a read-only root filesystem works", () => {
    const env = envOf(runtime);
    assert.equal(env.NODE_ENV, "production");
    for (const variable of ["HOME", "EMBEDDED_DATA_DIR"]) {
      assert.ok(env[variable]?.startsWith("/tmp/") || env[variable] === "/tmp", `${variable} must be under /tmp`);
    }
    assert.equal(instructionsOf(runtime, "VOLUME").length, 0, "volumes are Kubernetes' business, not the image's");
  });

  it("checks /health with node's fetch and stops on SIGTERM", () => {
    const healthcheck = required(lastOf(runtime, "HEALTHCHECK"), "HEALTHCHECK").args;
    const command = required(execForm(stripFlags(healthcheck).replace(/^CMD\s+/, "")), "exec-form HEALTHCHECK CMD");
    assert.equal(command[0], "node", "the image has no curl or wget; node's fetch does the check");
    assert.match(command.join(" "), /fetch\(.*\/health/);
    assert.equal(required(lastOf(runtime, "STOPSIGNAL"), "STOPSIGNAL").args, "SIGTERM");
  });

  it("labels the image with OCI annotations fed by build arguments", () => {
    const labels = Object.assign({}, ...instructionsOf(runtime, "LABEL").map((label) => keyValues(label.args))) as Record<string, string>;
    const args = new Set(instructionsOf(runtime, "ARG").map((arg) => arg.args.split("=")[0]));
    for (const [label, arg] of [["revision", "REVISION"], ["created", "CREATED"], ["version", "VERSION"], ["source", "SOURCE"]]) {
      assert.equal(labels[`org.opencontainers.image.${label}`], `\${${arg}}`, `label ${label}`);
      assert.ok(args.has(arg), `ARG ${arg} is not declared in the runtime stage`);
    }
    assert.ok(labels["org.opencontainers.image.title"]);
  });

  it("copies from the build context only what .dockerignore lets through", () => {
    const ignore = fs.readFileSync(DOCKERIGNORE_PATH, "utf8");
    const sources = contextSources(dockerfile);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(fs.existsSync(path.join(REPO_ROOT, source)), `${source} does not exist`);
      assert.ok(dockerignoreAllows(ignore, source), `.dockerignore excludes ${source}`);
    }
    for (const excluded of ["node_modules", ".git", "infra/index.ts", "service/.data", "service/dist", "web/dist", "web/node_modules", ".env"]) {
      assert.ok(!dockerignoreAllows(ignore, excluded), `.dockerignore lets ${excluded} into the build context`);
    }
  });
});

describe("the Dockerfile parser", () => {
  it("reads .dockerignore allow-lists like Docker does", () => {
    const rules = "*\n!service/src/\n!package.json\nservice/src/**/*.test.ts\n";
    assert.ok(dockerignoreAllows(rules, "package.json"));
    assert.ok(dockerignoreAllows(rules, "service/src/main.ts"));
    assert.ok(!dockerignoreAllows(rules, "service/src/api/main.test.ts"));
    assert.ok(!dockerignoreAllows(rules, "service/data/matches.csv"));
  });

  it("joins continuation lines and skips comments inside them", () => {
    const [stage] = parseDockerfile('FROM x:1.2.3 AS one\nRUN a \\\n  # note\n  && b\nENV A=1 B="two words"\nCMD ["a", "b"]\n').stages;
    assert.deepEqual(runCommands(stage), ["a && b"]);
    assert.deepEqual(envOf(stage), { A: "1", B: "two words" });
    assert.deepEqual(execForm(required(lastOf(stage, "CMD"), "CMD").args), ["a", "b"]);
  });
});
