// One downloader per blob: two pulls appending to the same `.incomplete` file would interleave
// their bytes. huggingface_hub holds an flock on .locks/<repo folder>/<etag>.lock, which JavaScript
// cannot take; ours is a file beside it created exclusively, holding our pid, and taken over when
// that process is gone (a pull killed with -9 leaves it behind).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class LockedError extends Error {}

export async function withBlobLock<T>(cacheDir: string, repoFolder: string, etag: string, run: () => Promise<T>): Promise<T> {
  const dir = join(cacheDir, '.locks', repoFolder);
  const path = join(dir, `${etag}.oss-edge.lock`);
  mkdirSync(dir, { recursive: true });
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw e;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new LockedError(`another pull (pid ${pid}) is downloading this file; wait for it, or remove ${path} if it is not running`);
      }
      rmSync(path, { force: true }); // left by a process that is gone
    }
  }
  try {
    return await run();
  } finally {
    rmSync(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
