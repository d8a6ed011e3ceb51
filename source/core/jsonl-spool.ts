import fs from 'node:fs';
import path from 'node:path';
import {writeAll} from './write-all.js';

/**
 * Lines held before they are written. A held line survives the young generation's collections
 * and is promoted, then dies in the old space, which grows until a full collection: at 1 MiB a
 * backup's table dump (rows read synchronously, as fast as SQLite gives them) grew the V8 heap by
 * ~10 MB, and every backup's peak RSS with it (1 GiB gateway, folder: 100-101 MB; at 64 KiB,
 * 87-95 MB; tar.gz + encryption 101 -> 96 MB). A write of 64 KiB still costs a syscall per few
 * hundred lines.
 */
export const SPOOL_FLUSH_BYTES = 64 * 1024;

/**
 * A buffered, synchronous JSONL writer: rows arrive from synchronous SQLite iterators, so lines are
 * gathered into writes of ~SPOOL_FLUSH_BYTES rather than one syscall each. Used for backup table
 * dumps and quarantine files.
 */
export class JsonlSpool {
	private readonly fd: number;
	private chunks: string[] = [];
	private pending = 0;

	/**
	 * `wx` creates a new file (a dump); `a` appends (a quarantine file written in several passes);
	 * `w` rewrites one (a quarantine file with entries removed).
	 */
	constructor(
		readonly file: string,
		private readonly options: {flags?: 'wx' | 'a' | 'w'; fsync?: boolean} = {},
	) {
		// Dumps and quarantine files hold tenant data: owner-only (folders 0700, files 0600).
		fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
		this.fd = fs.openSync(file, options.flags ?? 'wx', 0o600);
	}

	write(row: unknown): void {
		this.writeLine(JSON.stringify(row));
	}

	/** Appends an already serialized line (without its newline). */
	writeLine(line: string): void {
		this.chunks.push(line, '\n');
		this.pending += line.length + 1;
		if (this.pending > SPOOL_FLUSH_BYTES) this.flush();
	}

	flush(): void {
		if (this.chunks.length === 0) return;
		writeAll(this.fd, this.chunks.join(''));
		this.chunks = [];
		this.pending = 0;
	}

	close(): void {
		this.flush();
		if (this.options.fsync) fs.fsyncSync(this.fd);
		fs.closeSync(this.fd);
	}
}
