import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { teamNameProblem } from "../domain/teamNames";

/** One shipped alias: another source's spelling of a team, and the team's name. */
export interface ShippedAlias {
  name: string;
  team: string;
  /** `team-aliases.csv line 12`, for errors. */
  where: string;
}

/** Resolved from this module so it holds both under ts-node (src/data) and after tsc (dist/data). */
export const TEAM_ALIASES_CSV_PATH = path.join(__dirname, "../../data/team-aliases.csv");

/** Reads `team-aliases.csv` (`name,team`, `#` comments); throws naming the file and line of a bad row. */
export function loadTeamAliases(filePath: string = TEAM_ALIASES_CSV_PATH): ShippedAlias[] {
  const source = path.basename(filePath);
  const rows = parse<{ row: Record<string, string>; line: number }, Record<string, string>>(readFileSync(filePath, "utf8"), {
    columns: true,
    comment: "#",
    skip_empty_lines: true,
    trim: true,
    on_record: (row, context) => ({ row, line: context.lines }),
  });
  return rows.map(({ row, line }) => {
    const where = `${source} line ${line}`;
    for (const column of ["name", "team"]) {
      const problem = teamNameProblem(row[column] ?? "");
      if (problem !== undefined) throw new Error(`${where}: ${column} ${problem}`);
    }
    return { name: row.name, team: row.team, where };
  });
}
