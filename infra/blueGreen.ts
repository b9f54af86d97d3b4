/**
 * Blue/green releases: two colours of every serving tier run side by side, each on its own tag, and one setting
 * (`blueGreen.active`) chooses which colour the public Services select. The API and the page switch together, so
 * a page is always served beside the API of its own release.
 */
import type { Colour, Settings } from "./config";

/** The label the Services select on; flipping `blueGreen.active` moves traffic, flipping it back rolls back. */
export const COLOUR_LABEL = "football-prediction/colour";
export const COLOURS: readonly Colour[] = ["blue", "green"];

/** The tag a colour runs: its own staged tag if it has one, otherwise the release tag. */
export function colourTag(settings: Settings, colour: Colour): string {
  return settings.blueGreen.tags[colour] ?? settings.image.tag;
}

export function idleColour(active: Colour): Colour {
  return active === "blue" ? "green" : "blue";
}

/** Object names allow lower-case letters, digits and `-`; tags also allow `.`, `_` and capitals. */
export function nameWithTag(prefix: string, tag: string): string {
  return `${prefix}-${tag.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}
