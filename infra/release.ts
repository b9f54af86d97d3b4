/**
 * The live release (each colour's image tag and the active colour) has one source of truth: the stack itself. Every
 * deployment exports it as the `release` output, and the next run of the program reads it back through a
 * StackReference to its own stack, so a `pulumi up` from a fresh checkout (a secret rotation, a threshold change)
 * keeps what runs instead of rolling back to the committed file's values. Only the deploy workflow changes the
 * release, by setting the `release` config key for the runs it makes; a stack never deployed starts from
 * `image.tag` and `blueGreen`.
 *
 * The engine answers a StackReference from the backend's checkpoint of the named stack (pulumi/pulumi
 * pkg/resource/deploy/builtins.go, `readStackReference` → `GetStackOutputs`), and the root Stack resource keeps
 * its previous outputs until the program registers new ones at its end (pkg/resource/deploy/step.go, `SameStep`
 * retains `Outputs`): read at the program's start, they are those of the last deployment.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { settingsSchema, StackConfigError, type Colour, type Release, type Settings } from "./config";

export const RELEASE_OUTPUT = "release";

/** Where a run's release came from: the workflow's config, the last deployment's record, or the stack file. */
export type ReleaseSource = "config" | "record" | "initial";

const recordedRelease = settingsSchema.shape.release.unwrap();

function tagOf(settings: Settings, colour: Colour): string {
  return settings.blueGreen.tags[colour] ?? settings.image.tag;
}

/** The release a stack's first deployment runs: the stack file's `blueGreen` and `image.tag`. */
export function initialRelease(settings: Settings): Release {
  return { active: settings.blueGreen.active, tags: { blue: tagOf(settings, "blue"), green: tagOf(settings, "green") } };
}

/**
 * The release of this run: the `release` config key if the workflow set one, else the recorded one, else the
 * initial one. `recorded` is the `release` output of the last deployment (undefined before the first).
 */
export function chooseRelease(stack: string, settings: Settings, recorded: unknown): { release: Release; source: ReleaseSource } {
  if (settings.release !== undefined) {
    return { release: settings.release, source: "config" };
  }
  if (recorded === undefined) {
    return { release: initialRelease(settings), source: "initial" };
  }
  const parsed = recordedRelease.safeParse(recorded);
  if (!parsed.success) {
    throw new StackConfigError(
      `stack "${stack}": its recorded "${RELEASE_OUTPUT}" output is not a release (${z.prettifyError(parsed.error)}): ` +
        `set one with pulumi config set --path release.active <colour> and release.tags.blue/green <tag>`,
    );
  }
  return { release: parsed.data, source: "record" };
}

/** The settings the components build from: both colours' tags and the active colour are the release's. */
export function withRelease(settings: Settings, release: Release): Settings {
  return { ...settings, blueGreen: { active: release.active, tags: { ...release.tags } } };
}

/** The `release` output the stack's last deployment recorded, read through a StackReference to the stack itself. */
export async function readRecordedRelease(): Promise<unknown> {
  const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const reference = new pulumi.StackReference("release-record", { name: self });
  const details = await reference.getOutputDetails(RELEASE_OUTPUT);
  return details.value;
}
