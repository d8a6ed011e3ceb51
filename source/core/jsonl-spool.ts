import fs from 'node:fs';
import path from 'node:path';

/**
 * A buffered, synchronous JSONL writer: rows arrive from synchronous SQLite iterators, so lines are
 * gathered into ~1 MiB writes rather than one syscall each. Used for backup table dumps and
 * quarantine files.
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
		if (this.pending > 1 << 20) this.flush();
	}

	flush(): void {
		if (this.chunks.length === 0) return;
		fs.writeSync(this.fd, this.chunks.join(''));
		this.chunks = [];
		this.pending = 0;
	}

	close(): void {
		this.flush();
		if (this.options.fsync) fs.fsyncSync(this.fd);
		fs.closeSync(this.fd);
	}
}
