/**
 * Grandfather-father-son retention, with the semantics of `restic forget --keep-daily/--keep-weekly/--keep-monthly`:
 * each tier independently keeps the newest backup of each of its N most recent periods that have backups, and a
 * backup survives when any tier keeps it. Periods are UTC calendar days, ISO weeks (Monday to Sunday) and calendar
 * months. Counting periods that have backups, rather than the last N periods of the calendar, means a backup job
 * that stopped for a while never lets prune delete the last good backups.
 */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

export interface Timestamped {
  createdAt: Date;
}

const DAY_MS = 86_400_000;

function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The Monday that starts the ISO week: unique per ISO week, with no week-numbering arithmetic to get wrong. */
function isoWeekOf(at: Date): string {
  const daysSinceMonday = (at.getUTCDay() + 6) % 7;
  return dayOf(new Date(at.getTime() - daysSinceMonday * DAY_MS));
}

function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

function newestPerPeriod<T extends Timestamped>(
  newestFirst: readonly T[],
  periods: number,
  periodOf: (at: Date) => string,
): T[] {
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const backup of newestFirst) {
    const period = periodOf(backup.createdAt);
    if (seen.has(period)) continue;
    if (seen.size === periods) break;
    seen.add(period);
    kept.push(backup);
  }
  return kept;
}

/**
 * The backups to keep, newest first. The newest backup is always kept, whatever the policy, and so is any backup
 * stamped after `now` (clock skew between the host that wrote it and the one pruning): prune never deletes what it
 * cannot place in time.
 */
export function selectBackupsToKeep<T extends Timestamped>(
  backups: readonly T[],
  policy: RetentionPolicy,
  now: Date,
): T[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const past = newestFirst.filter((backup) => backup.createdAt.getTime() <= now.getTime());
  const keep = new Set<T>([
    ...newestFirst.slice(0, 1),
    ...newestFirst.filter((backup) => backup.createdAt.getTime() > now.getTime()),
    ...newestPerPeriod(past, policy.daily, dayOf),
    ...newestPerPeriod(past, policy.weekly, isoWeekOf),
    ...newestPerPeriod(past, policy.monthly, monthOf),
  ]);
  return newestFirst.filter((backup) => keep.has(backup));
}
