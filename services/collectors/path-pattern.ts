// The path a file tail follows: one file, or a glob with `*` in the last path segment
// only (`/var/log/kube/audit*.log`). Reads one directory listing per scan.
// Invariants: a glob never matches compressed files (`*.gz`: rotated archives are read
// only as the rotated siblings of a tracked file) nor, like the shell, hidden files
// unless the pattern itself starts with a dot; a missing directory is "no match yet",
// not an error.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../lib/errors.js';

export class PathPattern {
  readonly dir: string;
  readonly name: string;
  readonly isGlob: boolean;
  /** The literal start of the file name (before any `*`): names of rotated siblings share it. */
  readonly literalPrefix: string;
  private readonly re: RegExp | undefined;

  constructor(readonly path: string) {
    if (path === '' || path.endsWith('/')) throw new UsageError(`file source path "${path}": expected a file path or a glob like /var/log/app/*.log`);
    this.dir = dirname(path);
    this.name = basename(path);
    if (this.dir.includes('*')) {
      throw new UsageError(`file source path "${path}": \`*\` is supported in the file name only, not in directories`);
    }
    this.isGlob = this.name.includes('*');
    this.literalPrefix = this.name.split('*')[0]!;
    this.re = this.isGlob ? globToRegExp(this.name) : undefined;
  }

  /** Whether a file name in `dir` is one this pattern follows. */
  matchesName(name: string): boolean {
    if (!this.re) return name === this.name;
    if (name.endsWith('.gz')) return false;
    if (name.startsWith('.') && !this.name.startsWith('.')) return false;
    return this.re.test(name);
  }

  matchesPath(path: string): boolean {
    return dirname(path) === this.dir && this.matchesName(basename(path));
  }

  /**
   * Paths that currently match, sorted. Entries are not stat'ed here (the caller does, to
   * get dev+ino anyway); for a plain path the path itself is returned without a listing.
   */
  async list(): Promise<string[]> {
    if (!this.re) return [this.path];
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
    return names.filter((n) => this.matchesName(n)).sort().map((n) => join(this.dir, n));
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
