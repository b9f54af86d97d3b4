import { setFlagsFromString } from "node:v8";

/**
 * Turns V8's allocation-site pretenuring off in every process `main` starts, before it serves anything.
 *
 * With it on, V8 follows the objects of each allocation site through young collections and, once 85% of them
 * survive, allocates that site's objects straight in the old generation; the site then reports nothing more, so the
 * decision stands for the life of the process. In 2 of 95 service processes started for the benchmark and driven
 * at once (and in the full benchmark run 2026-12-07-5), the process was, from its first second, in a state where
 * the young objects of every request outlived each young collection: two allocation sites making about
 * one object per request had all of theirs alive at every collection (about 3,000 of 3,000), each collection
 * promoted about 12 MB and took 15 to 25 ms instead of under 1, GC pauses rose from 0.2 to 7 µs per request, and
 * every answer cost a quarter to a third more CPU until the process exited. With pretenuring off, none of 142
 * processes started the same way did (README, Performance), and cached predictions cost about 4% less CPU in normal
 * processes too.
 * What the service keeps for long (the copy of every match, kept answers) is copied through the young generation
 * once more instead, when it is loaded.
 *
 * V8 reads the flag at each collection, so setting it here works as `node --no-allocation-site-pretenuring` does
 * (`--trace-pretenuring-statistics` traces no decision either way), however the process is started: the image,
 * `npm run service`, the benchmark.
 */
export function configureV8(): void {
  setFlagsFromString("--no-allocation-site-pretenuring");
}
