/**
 * Summaries already read, for listing and browsing only: keyed by a backup's path and stamped
 * with what its directory entry says (size, mtime, ctime, inode), so a file that changed in any
 * way is read again. Held in memory by one process (the console reads a folder again after each
 * copy or delete, and Home, Browse and Restore read the same folder): nothing is written to disk,
 * so there is no file another user or a crash could leave stale or hostile. Verify, restore and
 * every other reader never look here: they read the backup itself.
 */
import type fs from 'node:fs';
import type {BackupSummaryRead} from './read-summary.js';

/** Entries kept at most (about 2 KiB each): the oldest are dropped first. */
const DEFAULT_CAPACITY = 20_000;

/** What says a file is the one whose summary was read: size, mtime and ctime (ms, fractional), inode. */
export function listingStamp(stats: Pick<fs.Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>): string {
	return `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
}

export class SummaryCache {
	private readonly entries = new Map<string, {stamp: string; read: BackupSummaryRead}>();

	constructor(private readonly capacity = DEFAULT_CAPACITY) {}

	/** The summary read from `file` while it had these stats, if it still has them. */
	get(file: string, stats: Pick<fs.Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>): BackupSummaryRead | undefined {
		const entry = this.entries.get(file);
		if (!entry) return undefined;
		if (entry.stamp !== listingStamp(stats)) {
			this.entries.delete(file);
			return undefined;
		}
		return entry.read;
	}

	set(file: string, stats: Pick<fs.Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>, read: BackupSummaryRead): void {
		this.entries.delete(file);
		this.entries.set(file, {stamp: listingStamp(stats), read});
		while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
	}

	get size(): number {
		return this.entries.size;
	}
}
