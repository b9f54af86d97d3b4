/** Scratch directories under the system's temporary directory. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A new, empty directory named `<prefix><random>`; the caller removes it. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A scratch directory to write files into and remove in one go. */
export class TempDir {
  readonly path: string;

  constructor(prefix: string) {
    this.path = makeTempDir(prefix);
  }

  write(name: string, content: string): string {
    const file = path.join(this.path, name);
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
