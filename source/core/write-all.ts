import fs from 'node:fs';

/**
 * Writes every byte of `data` (a string as UTF-8) at the file's position. One write(2) may write
 * fewer bytes than asked (a disk filling up, a file size limit) and say so only by its count:
 * `fs.writeSync` returns that count and throws nothing. The rest is written again, and the error
 * that stops it (ENOSPC, EFBIG) is thrown. Ignoring the count ends a file early without a word:
 * a backup's table dump with fewer rows than its metadata counts, a restore journal cut short.
 * A string goes to write(2) as it is (no Buffer made) unless a write comes up short.
 */
export function writeAll(fd: number, data: string | Uint8Array): void {
	if (typeof data === 'string') {
		const written = fs.writeSync(fd, data);
		if (written === Buffer.byteLength(data, 'utf8')) return;
		writeFrom(fd, Buffer.from(data, 'utf8'), written);
		return;
	}
	writeFrom(fd, data, 0);
}

/** Writes that write nothing and report no error, in a row, before writeAll gives up (as Node's own WriteStream does). */
const ZERO_WRITES = 5;

function writeFrom(fd: number, data: Uint8Array, offset: number): void {
	for (let zeros = 0; offset < data.length; ) {
		const written = fs.writeSync(fd, data, offset, data.length - offset);
		offset += written;
		zeros = written === 0 ? zeros + 1 : 0;
		if (zeros === ZERO_WRITES) throw Object.assign(new Error(`EIO: i/o error, ${ZERO_WRITES} writes in a row wrote nothing`), {code: 'EIO'});
	}
}
