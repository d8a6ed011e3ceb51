import fs from 'node:fs';
import path from 'node:path';
import {writeAll} from './write-all.js';

/**
 * Lines held before they are written, in UTF-16 code units (bytes for ASCII; up to 3 bytes each
 * for other text). A held line survives the young generation's collections
 * and is promoted, then dies in the old space, which grows until a full collection: at 1 MiB a
 * backup's table dump (rows read synchronously, as fast as SQLite gives them) grew the V8 heap by
 * ~10 MB, and every backup's peak RSS with it (1 GiB gateway, folder: 100-101 MB; at 64 KiB,
 * 87-95 MB; tar.gz + encryption 101 -> 96 MB). A write of 64 KiB still costs a syscall per few
 * hundred lines.
 */
export const SPOOL_FLUSH_UNITS = 64 * 1024;

/**
 * A buffered, synchronous JSONL writer: rows arrive from synchronous SQLite iterators, so lines are
 * gathered into writes of ~SPOOL_FLUSH_UNITS rather than one syscall each. Used for backup table
 * dumps and quarantine files.
 */
export class JsonlSpool {
	private readonly fd: number;
	private chunks: string[] = [];
	private pending = 0;
	private closed = false;

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
		if (this.pending > SPOOL_FLUSH_UNITS) this.flush();
	}

	/** Writes what is held. Taken off before the write: a failed write is never written again. */
	flush(): void {
		if (this.chunks.length === 0) return;
		const text = this.chunks.join('');
		this.chunks = [];
		this.pending = 0;
		writeAll(this.fd, text);
	}

	/**
	 * Writes what is held, syncs if asked, and closes the file, whatever fails on the way (a full
	 * disk must not leave a descriptor open on a staging file that is then removed: its blocks would
	 * stay taken). A second close does nothing.
	 */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		try {
			this.flush();
			if (this.options.fsync) fs.fsyncSync(this.fd);
		} finally {
			fs.closeSync(this.fd);
		}
	}
}
