/**
 * Where backups live: a local folder, an S3 prefix, an Azure Blob container prefix, or an SFTP
 * folder. Every destination holds a flat set of named objects (backup file names, no slashes)
 * under its folder/prefix; the engine reads and writes them only through this interface.
 *
 * Contract every implementation keeps (test/destinations/conformance.ts checks it against real
 * servers):
 * - `put` is atomic from a reader's view: until it resolves, `list`/`stat` never show `name`
 *   (S3 multipart completes or is aborted, Azure commits its block list at the end, SFTP and
 *   local write a temporary name and rename). A failed or aborted put leaves nothing listed.
 * - Errors an operator can act on are LifeboatErrors naming the destination (`label`): code
 *   'destination' (exit 4) for bad credentials, a missing bucket/container/folder, a host key
 *   mismatch, permission denied, and for transient failures that outlived their retries; code
 *   'exists' when `put` without `overwrite` finds the name taken. Never an SDK's raw message alone.
 * - Transient failures (timeouts, 5xx, resets) are retried with backoff inside the
 *   implementation, each retry reported through `onRetry`.
 * - Objects are private: local files 0600 in 0700 folders, SFTP files 0600; S3 and Azure objects
 *   get no public ACL.
 */
import type {Readable} from 'node:stream';

export type DestinationKind = 'local' | 's3' | 'azblob' | 'sftp';

export type StoredObject = {
	/** Object name under the destination (a file name: no slash). */
	name: string;
	/** Bytes. */
	size: number;
	modified: Date;
	/** Local destinations only: a folder (a `--format dir` backup). */
	folder?: boolean;
};

export type RetryNote = {
	/** What was being done: "uploading part 3", "listing", "reading bytes 0-65535". */
	operation: string;
	attempt: number;
	/** Attempts in all before giving up. */
	of: number;
	/** Delay before the next attempt. */
	delayMs: number;
	/** Short reason: "connection reset", "HTTP 503", "timeout". */
	reason: string;
};

export type PutOptions = {
	signal?: AbortSignal;
	/** Expected total bytes when known (sizes multipart parts / blocks). */
	expectedBytes?: number;
	/** Replace an existing object of that name; otherwise a taken name is an 'exists' error. */
	overwrite?: boolean;
	/** Bytes sent so far (for progress). */
	onBytes?: (bytesSent: number) => void;
	onRetry?: (note: RetryNote) => void;
};

export type PutResult = {
	/** Size and SHA-256 of the bytes consumed from the source stream. */
	size: number;
	sha256: string;
};

export type ReadOptions = {signal?: AbortSignal; onRetry?: (note: RetryNote) => void};

export interface Destination {
	readonly kind: DestinationKind;
	/**
	 * The destination as a printable URL holding no secret (`s3://bucket/prefix/`,
	 * `sftp://user@host:22/path/`, or a local absolute folder path).
	 */
	readonly label: string;
	/** The printable location of one object (label + name). */
	locate(name: string): string;
	/** Writes `source` under `name`, atomically (see the contract above). */
	put(name: string, source: Readable, options?: PutOptions): Promise<PutResult>;
	/**
	 * Objects directly under the destination, unordered; temporary and partial uploads excluded.
	 * A folder/prefix that does not exist yet lists as empty; a missing bucket/container/host is
	 * a 'destination' error.
	 */
	list(options?: ReadOptions): Promise<StoredObject[]>;
	/** One object, or undefined when there is none of that name. */
	stat(name: string, options?: ReadOptions): Promise<StoredObject | undefined>;
	/**
	 * Bytes [offset, offset + length) of an object: exactly `length` bytes, fewer only where the
	 * object ends. A missing object is a 'destination' error.
	 */
	readRange(name: string, offset: number, length: number, options?: ReadOptions): Promise<Buffer>;
	/** The object's bytes from `offset` (default 0) to its end, as one stream (one request). */
	read(name: string, options?: ReadOptions & {offset?: number}): Promise<Readable>;
	/** Removes an object; a missing one is a 'destination' error. */
	delete(name: string, options?: ReadOptions): Promise<void>;
	/**
	 * Removes what interrupted puts of this tool left behind (stale multipart uploads, temporary
	 * files older than an hour or of processes that are gone); returns a line per thing removed.
	 */
	cleanup(): Promise<string[]>;
	/** Releases connections. Safe to call more than once. */
	close(): Promise<void>;
}

/**
 * Characters no object name may hold: control characters (C0, DEL, C1), and the invisible ones
 * that change how a terminal shows the text around them (bidi overrides and isolates, line and
 * paragraph separators): a name from a hostile listing must not rewrite the operator's screen.
 */
const UNPRINTABLE = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/;

/** Object names are file names: one path segment, printable. */
export function checkObjectName(name: string): string {
	if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name) || UNPRINTABLE.test(name) || Buffer.byteLength(name) > 255) {
		throw new TypeError(`invalid object name ${JSON.stringify(name).slice(0, 80)}`);
	}
	return name;
}

/** A name as a terminal may show it: unprintable characters become "?". */
export function printable(name: string): string {
	return name.replace(new RegExp(UNPRINTABLE.source, 'g'), '?');
}

/** Whether a name from a listing may be shown and used (see checkObjectName); others are skipped. */
export function isObjectName(name: string): boolean {
	try {
		checkObjectName(name);
		return true;
	} catch {
		return false;
	}
}

/** Prefix of the temporary names puts use (SFTP, local): never listed. */
export const TEMP_PREFIX = '.lifeboat-partial-';
