/**
 * Errors an operator can act on. Commands print `message` as one line and exit with `exitCode`;
 * anything that is not a LifeboatError is a bug and is reported as such.
 */
export type ErrorCode =
	| 'usage'
	| 'no-base'
	| 'not-a-gateway'
	| 'unsupported-data'
	| 'gateway-damaged'
	| 'gateway-locked'
	| 'unknown-category'
	| 'unknown-tenant'
	| 'destination'
	| 'exists'
	| 'disk-full'
	| 'not-a-backup'
	| 'corrupt-archive'
	| 'unsupported-version'
	| 'unsafe-archive'
	| 'wrong-passphrase'
	| 'passphrase-required'
	| 'conflict'
	| 'interrupted'
	| 'source-changed'
	| 'not-a-tty';

/** Exit codes are part of the CLI contract (documented in the readme). */
export const EXIT_CODES: Record<ErrorCode, number> = {
	usage: 2,
	// --since-last found no earlier backup of the scope: usage's exit code, told apart in --json
	// (a scheduled incremental then makes a full backup, schedule-runner.ts).
	'no-base': 2,
	'not-a-tty': 2,
	'not-a-gateway': 3,
	'unsupported-data': 3,
	'gateway-damaged': 3,
	'gateway-locked': 9,
	'unknown-category': 2,
	'unknown-tenant': 3,
	destination: 4,
	exists: 4,
	'disk-full': 4,
	// A file that is no Lifeboat backup at all (delete refuses it): corrupt-archive's exit code, HTTP 400 rather than 422.
	'not-a-backup': 5,
	'corrupt-archive': 5,
	'unsupported-version': 5,
	'unsafe-archive': 5,
	'wrong-passphrase': 6,
	'passphrase-required': 6,
	conflict: 7,
	interrupted: 130,
	'source-changed': 8,
};

export class LifeboatError extends Error {
	readonly code: ErrorCode;
	readonly exitCode: number;
	/**
	 * What the command did before it failed, where that matters to a script (a prune stopped after
	 * deleting some backups: which): added to the `--json` answer beside `ok` and `error`.
	 */
	readonly done?: Record<string, unknown>;
	/**
	 * The message as a client of the HTTP API may read it, where the CLI's names what a token
	 * limited to its own tenant may not learn (another tenant's id, its rows' ids).
	 */
	forClients?: string;

	constructor(code: ErrorCode, message: string, options?: {cause?: unknown; done?: Record<string, unknown>; forClients?: string}) {
		super(message, options);
		this.name = 'LifeboatError';
		this.code = code;
		this.exitCode = EXIT_CODES[code];
		if (options?.done) this.done = options.done;
		if (options?.forClients) this.forClients = options.forClients;
	}
}

/** What restore's refusals end with, said by the archive readers that verify, diff and create share with it. */
const NOTHING_RESTORED = /; nothing was restored(?=$|[\s)])/g;

/**
 * An error as a command that restores nothing says it (verify, diff, create…): the archive readers
 * it shares with restore end their refusals with "; nothing was restored", which is dropped. The
 * error itself is returned (its class and fields kept), its message mended.
 */
export function outsideRestore<T>(error: T): T {
	if (error instanceof LifeboatError) {
		error.message = error.message.replace(NOTHING_RESTORED, '');
		if (error.forClients !== undefined) error.forClients = error.forClients.replace(NOTHING_RESTORED, '');
	}
	return error;
}

/**
 * SQLite errors an operator can act on, wherever the store is read or written: a damaged database
 * (corrupt pages surface mid-read, not only at open), one locked by another process after the busy
 * timeout, a full disk or another I/O failure (storeIoFailure). Undefined for anything else.
 * `lockDetail` says who holds a lock, if known.
 */
export function describeStoreError(error: unknown, lockDetail?: string): LifeboatError | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
	const message = (error as Error).message;
	if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
		return new LifeboatError('gateway-damaged', `the gateway database is damaged (${message}); nothing was changed: repair it or restore it from a backup`, {cause: error});
	}
	if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
		return new LifeboatError('gateway-locked', `the gateway database is locked by another process (${lockDetail ?? message}); stop the gateway or retry`, {cause: error});
	}
	// Said wherever a store error surfaces: the gateway's database, or a scratch one (an incremental's
	// base index, a diff's); where the database is known (opening the gateway, a restore, a chain
	// merge, an ATLAS conversion) the error was named precisely before it got here.
	const failed = storeIoFailure(code);
	if (failed) return new LifeboatError(failed.code, `A database (the gateway's, or a scratch one in a temporary folder) ${failed.reason}`, {cause: error});
	return undefined;
}

/** SQLite's I/O errors of writing a file (or making it durable): what a full disk or `ulimit -f` gives. */
const WRITE_IOERRS = new Set(['WRITE', 'FSYNC', 'DIR_FSYNC', 'TRUNCATE', 'SHMSIZE', 'DELETE', 'CLOSE', 'DIR_CLOSE', 'BEGIN_ATOMIC', 'COMMIT_ATOMIC', 'ROLLBACK_ATOMIC'].map(name => `SQLITE_IOERR_${name}`));
/** SQLite's I/O errors of locking a file or sharing its memory: a file system that cannot (some network or shared-folder mounts). */
const LOCK_IOERRS = new Set(['LOCK', 'RDLOCK', 'UNLOCK', 'SHMLOCK', 'CHECKRESERVEDLOCK', 'SHMOPEN', 'SHMMAP', 'MMAP'].map(name => `SQLITE_IOERR_${name}`));

/**
 * Why SQLite could not read or write its files (words to follow "the gateway database"), or
 * undefined for any other SQLite error. A full disk (SQLITE_FULL) and the I/O errors of writing
 * (SQLITE_IOERR_WRITE and kin: also what SQLite reports for a write past the file size limit,
 * EFBIG, and for a shared-memory file it cannot extend) are the disk's (exit 4); a failed read, a
 * file system without the locking or shared memory SQLite needs, and any other I/O error leave
 * the database unusable where it is (exit 3). A read-only database (SQLITE_READONLY_*) only with
 * `writing`, from a connection opened to write (exit 4): SQLite says so too when code writes
 * through a read-only connection, which is a bug.
 */
export function storeIoFailure(code: string, {writing = false}: {writing?: boolean} = {}): {code: ErrorCode; reason: string} | undefined {
	if (code === 'SQLITE_FULL') return {code: 'disk-full', reason: 'could not be written: no space left on device'};
	if (writing && code.startsWith('SQLITE_READONLY')) return {code: 'destination', reason: `could not be written (${code}): it or its folder is read-only (its permissions, or a read-only mount)`};
	if (!code.startsWith('SQLITE_IOERR')) return undefined;
	if (WRITE_IOERRS.has(code)) return {code: 'disk-full', reason: `could not be written (disk I/O error, ${code}): a full disk, the file size limit (ulimit -f), or a failing disk or file system`};
	if (code === 'SQLITE_IOERR_READ' || code === 'SQLITE_IOERR_SHORT_READ') return {code: 'gateway-damaged', reason: `could not be read (disk I/O error, ${code}): a failing disk or file system`};
	if (LOCK_IOERRS.has(code)) return {code: 'gateway-damaged', reason: `could not be locked or shared (disk I/O error, ${code}): its file system lacks the file locking or shared memory SQLite needs (a network or shared-folder mount?), or is failing`};
	return {code: 'gateway-damaged', reason: `could not be used (disk I/O error, ${code}): a failing disk or file system`};
}

/**
 * A restore's SQLite failing to read or write its files (storeIoFailure, of a connection opened to
 * write) as the restore's error naming the data dir `shown`, or undefined for any other error.
 */
export function restoreStoreFailure(error: unknown, shown: string): LifeboatError | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	const failed = typeof code === 'string' ? storeIoFailure(code, {writing: true}) : undefined;
	return failed && new LifeboatError(failed.code, `Restoring into ${shown}: the gateway database (or SQLite's temporary files) ${failed.reason}; nothing was restored`, {cause: error});
}

/**
 * Why a write found no room (exit 4), or undefined: a full disk or quota, or a file past the largest
 * the file system holds or the process may write (EFBIG: FAT32's 4 GiB, `ulimit -f`, LimitFSIZE=).
 */
export function noRoomReason(error: unknown): string | undefined {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code === 'ENOSPC' || code === 'EDQUOT') return 'no space left on device';
	if (code === 'EFBIG') return "file too large (past the file system's largest file or the file size limit, ulimit -f)";
	return undefined;
}

/** Turns file-system (and store) errors into operator-facing ones; rethrows anything else unchanged. */
export function describeFsError(error: unknown, what: string): never {
	const store = describeStoreError(error);
	if (store) throw store;
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	const noRoom = noRoomReason(error);
	if (noRoom) throw new LifeboatError('disk-full', `${what}: ${noRoom}`, {cause: error});
	if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new LifeboatError('destination', `${what}: permission denied`, {cause: error});
	if (code === 'ENOENT') throw new LifeboatError('destination', `${what}: no such file or directory`, {cause: error});
	if (code === 'ENOTDIR') throw new LifeboatError('destination', `${what}: not a directory`, {cause: error});
	if (code === 'EISDIR') throw new LifeboatError('destination', `${what}: is a folder`, {cause: error});
	if (code === 'ELOOP') throw new LifeboatError('destination', `${what}: too many levels of symbolic links`, {cause: error});
	if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new LifeboatError('exists', `${what}: already exists`, {cause: error});
	throw error;
}
