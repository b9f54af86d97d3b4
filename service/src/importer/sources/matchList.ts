import { FeedError, type ParsedFeed, type RecordProblem, type SourceRow } from "../types";

/** The `matches` array of a JSON document, or a FeedError saying what the body is instead (`shape` names it). */
export function jsonMatchList(text: string, shape: string): unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new FeedError(`not JSON: ${(error as Error).message}`);
  }
  const matches = (document as { matches?: unknown } | null)?.matches;
  if (!Array.isArray(matches)) throw new FeedError(`not ${shape}: no "matches" list`);
  return matches;
}

/** Each record read into a row, or the problem that kept it from being one. */
export function readRecords<T>(records: readonly T[], read: (record: T, index: number) => SourceRow | RecordProblem): ParsedFeed {
  const feed: ParsedFeed = { rows: [], problems: [] };
  records.forEach((record, index) => {
    const row = read(record, index);
    if ("code" in row) feed.problems.push(row);
    else feed.rows.push(row);
  });
  return feed;
}
