/**
 * Work over many items with a bounded number in flight, and the one failure that must never be
 * mistaken for a damaged backup: running out of file descriptors (EMFILE, ENFILE).
 */
import {LifeboatError} from '../errors.js';

/** Summaries read at once from a local folder: few enough for any open-file limit, enough to overlap the disk. */
export const LOCAL_READS_AT_ONCE = 16;
/** Summaries read at once from a remote destination (each a request or two on the same connection pool). */
export const REMOTE_READS_AT_ONCE = 8;

/**
 * `work` applied to every item, at most `limit` running at once; the results in the items'
 * order. The first error rejects the whole map, and no item is started after it.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	let failed = false;
	const worker = async () => {
		while (!failed && next < items.length) {
			const index = next++;
			try {
				results[index] = await work(items[index]!, index);
			} catch (error) {
				failed = true;
				throw error;
			}
		}
	};
	const workers = Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker);
	const outcomes = await Promise.allSettled(workers);
	const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
	if (rejected) throw rejected.reason;
	return results;
}

const EXHAUSTED = /\bE[MN]FILE\b/;

/** True when `error` (or any error it wraps) is the process or system running out of file descriptors. */
export function isOutOfFileDescriptors(error: unknown): boolean {
	for (let current = error, depth = 0; current && depth < 8; current = (current as {cause?: unknown}).cause, depth++) {
		const code = (current as NodeJS.ErrnoException).code;
		if (code === 'EMFILE' || code === 'ENFILE') return true;
		if (current instanceof Error && EXHAUSTED.test(current.message)) return true;
	}
	return false;
}

/** Tries before giving up on a read that found no file descriptor free (about 2 s in all). */
const FD_TRIES = 8;

/**
 * Runs `read`, trying again (after the reads in flight had time to close their files) when it
 * found no file descriptor free; after {@link FD_TRIES} tries the whole listing fails with one
 * line. Such a failure says nothing about the backup, so it is never reported as its damage.
 */
export async function withFreeDescriptors<R>(what: string, read: () => Promise<R>, tries = FD_TRIES): Promise<R> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await read();
		} catch (error) {
			if (!isOutOfFileDescriptors(error)) throw error;
			if (attempt >= tries) throw outOfDescriptors(what, error);
			await new Promise(resolve => setTimeout(resolve, 8 * 2 ** attempt));
		}
	}
}

export function outOfDescriptors(what: string, cause: unknown): LifeboatError {
	return new LifeboatError('destination', `Cannot read ${what}: too many open files (the open-file limit is too low: raise it with ulimit -n, or close other programs)`, {cause});
}
