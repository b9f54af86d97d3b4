import { caseFold } from "unicode-case-folding";
import { invalid } from "../errors";

/**
 * One identity per team name. Every lookup and every write of a team name (catalog writes, prediction and match
 * filters, the importer's aliases) goes through `teamNameKey`, and the database stores the key with a unique index:
 * JavaScript and PostgreSQL never each apply their own idea of case, so `RacerN` and `RACERN`, `İstanbul FC` and
 * `İSTANBUL FC`, `Ολυμπιακός` and `ΟΛΥΜΠΙΑΚΟΣ` are one team each.
 */

/**
 * The key: Unicode NFKC (so fullwidth `Ａrsenal` is `Arsenal`, a ligature `ﬁ` is `fi`), then full case folding from
 * the Unicode Character Database (`ß` and `ẞ` fold to `ss`, final and medial sigma to `σ`, `İ` to `i̇`), NFKC again
 * because folding can leave a string unnormalised, and runs of white space as one space, trimmed.
 */
export function teamNameKey(name: string): string {
  return caseFold(name.normalize("NFKC")).normalize("NFKC").replace(/\s+/gu, " ").trim();
}

/** Characters that change how a name is shown or compared without being visible in it. */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const CONTROL = /\p{Cc}/u;
/** Unassigned code points, private use and lone surrogates: nothing a real name is written with. */
const UNASSIGNED = /[\p{Cn}\p{Co}\p{Cs}]/u;

/**
 * The writing systems a team name may use, each alone (with the Common and Inherited characters all of them share:
 * digits, punctuation, combining accents). A name mixing others, `Аrsenal` with a Cyrillic А, imitates a name in
 * another script. The combinations are those of Unicode's "highly restrictive" profile (UTS #39): Latin with Han and
 * kana (`FC東京`), with Han and Hangul, or with Han alone.
 */
const WRITING_SYSTEMS: ReadonlyArray<{ name: string; letters: RegExp }> = [
  { name: "Latin", letters: /\p{Script=Latin}/u },
  { name: "Greek", letters: /\p{Script=Greek}/u },
  { name: "Cyrillic", letters: /\p{Script=Cyrillic}/u },
  { name: "Armenian", letters: /\p{Script=Armenian}/u },
  { name: "Georgian", letters: /\p{Script=Georgian}/u },
  { name: "Hebrew", letters: /\p{Script=Hebrew}/u },
  { name: "Arabic", letters: /\p{Script=Arabic}/u },
  { name: "Thai", letters: /\p{Script=Thai}/u },
  { name: "Devanagari", letters: /\p{Script=Devanagari}/u },
  { name: "Japanese", letters: /[\p{Script=Latin}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u },
  { name: "Korean", letters: /[\p{Script=Latin}\p{Script=Han}\p{Script=Hangul}]/u },
  { name: "Chinese", letters: /[\p{Script=Latin}\p{Script=Han}\p{Script=Bopomofo}]/u },
];

const LETTER = /[\p{L}\p{N}]/u;
const COMMON = /[\p{Script=Common}\p{Script=Inherited}]/u;

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

const SCRIPTS: ReadonlyArray<{ name: string; letters: RegExp }> = [
  ...WRITING_SYSTEMS.slice(0, 9),
  { name: "Han", letters: /\p{Script=Han}/u },
  { name: "Hangul", letters: /\p{Script=Hangul}/u },
  { name: "kana", letters: /[\p{Script=Hiragana}\p{Script=Katakana}]/u },
];

function scriptOf(char: string): string {
  return SCRIPTS.find((script) => script.letters.test(char))?.name ?? "another script";
}

/** Letters outside every allowed writing system, or from two of them, make the name a look-alike. */
function mixedScripts(name: string): string | undefined {
  const letters = [...name].filter((char) => LETTER.test(char) && !COMMON.test(char));
  if (WRITING_SYSTEMS.some((system) => letters.every((char) => system.letters.test(char)))) return undefined;
  const byScript = new Map<string, string[]>();
  for (const char of letters) byScript.set(scriptOf(char), [...(byScript.get(scriptOf(char)) ?? []), char]);
  const [[majority], ...others] = [...byScript].sort((a, b) => b[1].length - a[1].length);
  const [minority, [odd]] = others.length > 0 ? others[0] : [majority, letters];
  return (
    `mixes ${majority} and ${minority} letters (${odd} ${codePoint(odd)} is ${minority}), ` +
    "so it could imitate another team's name"
  );
}

/** Why a name cannot be a team name, or undefined when it can. Checks the name as given, before any folding. */
export function teamNameProblem(name: string): string | undefined {
  const key = teamNameKey(name);
  if (key === "") return "must not be empty";
  if ([...name.trim()].length > 64) return "must be at most 64 characters";
  for (const char of name) {
    if (CONTROL.test(char)) return `must not contain control characters (${codePoint(char)})`;
    if (BIDI_CONTROL.test(char)) return `must not contain bidirectional control characters (${codePoint(char)})`;
    if (INVISIBLE.test(char)) return `must not contain invisible characters such as zero-width spaces (${codePoint(char)})`;
    if (UNASSIGNED.test(char)) return `must not contain unassigned or private-use characters (${codePoint(char)})`;
  }
  return mixedScripts(name.normalize("NFKC"));
}

/** A name as it is stored and shown: NFC, its white space collapsed and trimmed (case and spelling kept). */
export function cleanTeamName(name: string): string {
  return name.normalize("NFC").replace(/\s+/gu, " ").trim();
}

/** Throws `invalid` naming the field and the problem; returns the clean name. */
export function requireTeamName(name: string, field = "team name"): string {
  const problem = teamNameProblem(name);
  if (problem !== undefined) throw invalid("invalid_team_name", `${field} ${problem}`);
  return cleanTeamName(name);
}
