/**
 * SFTP destination (`sftp://user@host:port/path/`) over ssh2-sftp-client: one connection, opened
 * on first use and reused; key-file or agent login (never a password); the server's host key
 * checked against known_hosts. Uploads stream to a temporary name in the same folder, are checked
 * for size, then renamed (see destination.ts for the contract).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {pipeline, type Readable, type Transform} from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import ssh2, {type SFTPWrapper, type Stats} from 'ssh2';
import {LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {checkObjectName, isObjectName, TEMP_PREFIX, type Destination, type PutOptions, type PutResult, type ReadOptions, type StoredObject} from './destination.js';
import {appendKnownHost, checkHostKey, hostKeyAlgorithms, keyFingerprint, knownHostName, readKnownHosts} from './known-hosts.js';
import {destinationError, shortReason, withRetry} from './retry.js';
import {openRemoteFile, remoteRange} from './sftp-reader.js';

export type SftpLocation = {
	user: string;
	host: string;
	port: number;
	/** Folder on the server, absolute or relative to the login folder; ends with '/'. */
	path: string;
};

export type SftpOptions = {
	/** Private key file (else LIFEBOAT_SSH_KEY, else the ssh agent, else ~/.ssh/id_ed25519|id_ecdsa|id_rsa). */
	keyFile?: string;
	/** Else LIFEBOAT_KNOWN_HOSTS, else ~/.ssh/known_hosts. */
	knownHostsFile?: string;
	/** Add an unknown host's key to known_hosts (a key that differs from a known one is still refused). */
	trustNewHostKey?: boolean;
	/** Where LIFEBOAT_SSH_KEY, LIFEBOAT_SSH_KEY_PASSPHRASE, LIFEBOAT_KNOWN_HOSTS, SSH_AUTH_SOCK and HOME are read (default process.env). */
	env?: NodeJS.ProcessEnv;
	/**
	 * One SFTP request at a time (else LIFEBOAT_SFTP_SEQUENTIAL=1), for servers that mishandle
	 * pipelined requests; much slower over a network (one round trip per 32–64 KiB).
	 */
	sequential?: boolean;
	/** cleanup() removes temporary files older than this (default an hour: their pid can't be checked remotely). */
	staleTempAfterMs?: number;
};

/** Connect timeout per attempt; 3 attempts, so a dead server fails within ~30 s. */
const READY_TIMEOUT_MS = 9000;
/**
 * Bytes the write stream keeps in flight: several SFTP writes outstanding at increasing offsets
 * (as OpenSSH's own sftp does, 64 requests by default) instead of one round trip per chunk. Not
 * fastPut, which reads and sends chunks out of order (see DEPENDENCIES.md); a server that still
 * mishandles it fails the size check here or the SHA-256 read-back after, and `sequential` helps.
 */
const WRITE_WINDOW = 4 * 1024 * 1024;
const RETRY = {attempts: 3, baseDelayMs: 500};
const STATUS = {noSuchFile: 2, permissionDenied: 3, failure: 4, noConnection: 6, connectionLost: 7, unsupported: 8};

/** A failure another attempt (on a new connection) may get past. */
class Transient extends Error {
	constructor(readonly reason: string, options?: {cause?: unknown}) {
		super(reason, options);
	}
}

type Connection = {client: SftpClient; sftp: SFTPWrapper; alive: boolean};

export function openSftpDestination(location: SftpLocation, options: SftpOptions = {}): Destination {
	return new SftpDestination(location, options);
}

class SftpDestination implements Destination {
	readonly kind = 'sftp' as const;
	readonly label: string;
	private readonly dir: string;
	private readonly env: NodeJS.ProcessEnv;
	private readonly sequential: boolean;
	private current?: Connection;
	private connecting?: Promise<Connection>;

	constructor(private readonly location: SftpLocation, private readonly options: SftpOptions) {
		this.env = options.env ?? process.env;
		this.sequential = options.sequential ?? this.env.LIFEBOAT_SFTP_SEQUENTIAL === '1';
		this.dir = location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`;
		// Printed as destinations/location.ts prints an sftp:// URL (segments percent-encoded).
		const host = location.host.includes(':') ? `[${location.host}]` : location.host;
		const where = this.dir.startsWith('/') ? this.dir : `/~/${this.dir}`;
		this.label = `sftp://${location.user}@${host}:${location.port}${where.split('/').map(part => (part === '~' ? part : encode(part))).join('/')}`;
	}

	locate(name: string): string {
		return `${this.label}${encode(name)}`;
	}

	private get endpoint(): string {
		return `${this.location.host}:${this.location.port}`;
	}

	/** The folder as SFTP names it: '.' for the login folder itself. */
	private get folder(): string {
		return this.dir === '' ? '.' : this.dir === '/' ? '/' : this.dir.slice(0, -1);
	}

	private remote(name: string): string {
		return `${this.dir}${name}`;
	}

	async put(name: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
		checkObjectName(name);
		// Take the source at once: its errors are ours from now on, even while connecting.
		const feed = feedFrom(source, options);
		const what = `uploading ${name}`;
		let connection: Connection | undefined;
		const temp = this.remote(`${TEMP_PREFIX}${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
		let started = false;
		try {
			options.signal?.throwIfAborted();
			connection = await this.run('preparing the upload', what, async connection => {
				await this.makeFolders(connection.sftp, this.folder);
				if (!options.overwrite && (await this.lstat(connection.sftp, this.remote(name)))) throw this.exists(name);
				return connection;
			}, options);
			feed.check();
			started = true;
			await connection.client.put(feed.stream, temp, {writeStreamOptions: {flags: 'wx' as 'w', mode: 0o600, ...{highWaterMark: this.sequential ? 1 : WRITE_WINDOW}}});
			feed.check();
			const result = feed.result();
			await this.settle(connection.sftp, temp, result.size, what);
			await this.rename(connection.sftp, temp, name, options.overwrite === true);
			return result;
		} catch (error) {
			const cause = feed.failure() ?? error;
			feed.stop();
			if (connection && started) await this.removeQuietly(connection, temp);
			if (cause instanceof LifeboatError || cause !== error || !connection) throw cause;
			throw this.describe(this.lostOr(connection, error), what, 1);
		}
	}

	/** The server holds every byte sent, in a private file. */
	private async settle(sftp: SFTPWrapper, temp: string, size: number, what: string): Promise<void> {
		const stats = await call<Stats>(done => sftp.stat(temp, done));
		if (stats.size !== size) throw destinationError(this.label, `${what}: the server holds ${stats.size} of the ${size} bytes sent; nothing was stored`);
		if ((stats.mode & 0o077) !== 0) await call(done => sftp.chmod(temp, 0o600, done));
	}

	private async rename(sftp: SFTPWrapper, temp: string, name: string, overwrite: boolean): Promise<void> {
		const target = this.remote(name);
		if (!overwrite) {
			if (await this.lstat(sftp, target)) throw this.exists(name);
			try {
				// OpenSSH's plain rename refuses to replace an existing file (link + unlink).
				await call(done => sftp.rename(temp, target, done));
			} catch (error) {
				if (statusOf(error) === STATUS.failure && (await this.lstat(sftp, target))) throw this.exists(name);
				throw error;
			}
			return;
		}
		try {
			await call(done => sftp.ext_openssh_rename(temp, target, done));
		} catch (error) {
			if (statusOf(error) !== undefined && statusOf(error) !== STATUS.unsupported) throw error;
			// No posix-rename@openssh.com: delete, then rename (a reader may briefly see no object).
			await call(done => sftp.unlink(target, done)).catch((unlinkError: unknown) => {
				if (statusOf(unlinkError) !== STATUS.noSuchFile) throw unlinkError;
			});
			await call(done => sftp.rename(temp, target, done));
		}
	}

	async list(options: ReadOptions = {}): Promise<StoredObject[]> {
		const entries = await this.run('listing', 'listing', connection => this.readFolder(connection.sftp), options);
		return entries
			.filter(entry => isFile(entry.attrs.mode) && !entry.filename.startsWith('.') && isObjectName(entry.filename))
			.map(entry => ({name: entry.filename, size: entry.attrs.size, modified: new Date(entry.attrs.mtime * 1000)}));
	}

	async stat(name: string, options: ReadOptions = {}): Promise<StoredObject | undefined> {
		checkObjectName(name);
		const stats = await this.run(`checking ${name}`, `checking ${name}`, async connection => {
			try {
				return await call<Stats>(done => connection.sftp.stat(this.remote(name), done));
			} catch (error) {
				if (statusOf(error) === STATUS.noSuchFile) return undefined;
				throw error;
			}
		}, options);
		if (!stats || !isFile(stats.mode)) return undefined;
		return {name, size: stats.size, modified: new Date(stats.mtime * 1000)};
	}

	async readRange(name: string, offset: number, length: number, options: ReadOptions = {}): Promise<Buffer> {
		checkObjectName(name);
		const what = `reading ${name}`;
		return this.run(`reading bytes ${offset}-${offset + length - 1} of ${name}`, what, async connection => {
			const file = await openRemoteFile(connection.sftp, this.remote(name));
			const end = Math.min(file.size, offset + Math.max(0, length));
			const chunks: Buffer[] = [];
			for await (const chunk of remoteRange(connection.sftp, file, Math.min(offset, end), end, this.sequential, error => this.lostOr(connection, error) as Error)) chunks.push(chunk as Buffer);
			return Buffer.concat(chunks);
		}, options);
	}

	async read(name: string, options: ReadOptions & {offset?: number} = {}): Promise<Readable> {
		checkObjectName(name);
		const what = `reading ${name}`;
		const {connection, file} = await this.run(`opening ${name}`, what, async connection => ({connection, file: await openRemoteFile(connection.sftp, this.remote(name))}), options);
		const start = Math.min(options.offset ?? 0, file.size);
		const stream = remoteRange(connection.sftp, file, start, file.size, this.sequential, error => this.describe(this.lostOr(connection, error), what, 1));
		const onAbort = () => stream.destroy(options.signal!.reason as Error);
		options.signal?.addEventListener('abort', onAbort, {once: true});
		stream.once('close', () => options.signal?.removeEventListener('abort', onAbort));
		return stream;
	}

	async delete(name: string, options: ReadOptions = {}): Promise<void> {
		checkObjectName(name);
		await this.run(`deleting ${name}`, `deleting ${name}`, connection => call(done => connection.sftp.unlink(this.remote(name), done)), options);
	}

	async cleanup(): Promise<string[]> {
		const staleBefore = Date.now() - (this.options.staleTempAfterMs ?? 3_600_000);
		return this.run('cleaning up', 'cleaning up partial uploads', async connection => {
			const lines: string[] = [];
			for (const entry of await this.readFolder(connection.sftp)) {
				if (!entry.filename.startsWith(TEMP_PREFIX) || !isFile(entry.attrs.mode) || entry.attrs.mtime * 1000 > staleBefore) continue;
				try {
					await call(done => connection.sftp.unlink(this.remote(entry.filename), done));
				} catch (error) {
					if (statusOf(error) === STATUS.noSuchFile) continue;
					throw error;
				}
				lines.push(`removed the partial upload ${this.locate(entry.filename)} (${entry.attrs.size} bytes, from ${new Date(entry.attrs.mtime * 1000).toISOString()})`);
			}
			return lines;
		});
	}

	async close(): Promise<void> {
		const connection = this.current ?? (await this.connecting?.catch(() => undefined));
		this.current = undefined;
		if (connection) await this.end(connection);
	}

	// ---- connection ----

	/** Runs `work` on the connection, reconnecting and retrying when the connection fails. */
	private async run<T>(operation: string, what: string, work: (connection: Connection) => Promise<T>, options: ReadOptions = {}): Promise<T> {
		try {
			return await withRetry(operation, async () => {
				const connection = await this.connection();
				try {
					return await work(connection);
				} catch (error) {
					throw this.lostOr(connection, error);
				}
			}, {...RETRY, signal: options.signal, onRetry: options.onRetry, transient: error => error instanceof Transient});
		} catch (error) {
			if (options.signal?.aborted && error === options.signal.reason) throw error;
			throw this.describe(error, what, RETRY.attempts);
		}
	}

	/** A failure of a dead connection becomes Transient (and the connection is dropped). */
	private lostOr(connection: Connection, error: unknown): unknown {
		if (error instanceof LifeboatError || error instanceof Transient) return error;
		const message = String((error as Error)?.message ?? '');
		const status = statusOf(error);
		const lost = !connection.alive || status === STATUS.noConnection || status === STATUS.connectionLost || /No response from server|Unexpected (close|end) event|Not connected|No SFTP connection|Channel not open|ECONNRESET|EPIPE/i.test(`${message} ${(error as {code?: unknown})?.code}`);
		if (!lost) return error;
		this.drop(connection);
		return new Transient(`connection to ${this.endpoint} lost (${lostReason(error)})`, {cause: error});
	}

	private async connection(): Promise<Connection> {
		if (this.current?.alive) return this.current;
		this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
		this.current = await this.connecting;
		return this.current;
	}

	private drop(connection: Connection): void {
		connection.alive = false;
		if (this.current === connection) this.current = undefined;
		void this.end(connection);
	}

	private async end(connection: Connection): Promise<void> {
		const wasAlive = connection.alive;
		connection.alive = false;
		// A polite goodbye to a live server; a dead one would only make us wait.
		if (wasAlive) await withTimeout(connection.client.end().catch(() => undefined), 5000);
		(connection.client as unknown as {client?: {destroy?(): void}}).client?.destroy?.();
	}

	private async connect(): Promise<Connection> {
		const auth = await loadAuth(this.label, this.options, this.env);
		const knownHostsFile = this.options.knownHostsFile ?? this.env.LIFEBOAT_KNOWN_HOSTS ?? path.join(homeOf(this.env), '.ssh', 'known_hosts');
		const lines = await readKnownHosts(knownHostsFile).catch((error: unknown) => {
			throw destinationError(this.label, `cannot read ${knownHostsFile} (${shortReason(error)})`, error);
		});
		const name = knownHostName(this.location.host, this.location.port);
		let hostProblem: LifeboatError | undefined;
		let accepted: Buffer | undefined;
		const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
			if (accepted?.equals(key)) return verify(true);
			this.verifyHostKey(lines, name, key, knownHostsFile).then(
				() => ((accepted = key), verify(true)),
				(error: unknown) => ((hostProblem = error instanceof LifeboatError ? error : destinationError(this.label, `cannot add the host key to ${knownHostsFile} (${shortReason(error)})`, error)), verify(false)),
			);
		};
		const client = new SftpClient('lifeboat', {error() {}, end() {}, close() {}});
		let rawError: Error | undefined;
		client.on('error', (error: Error) => (rawError ??= error));
		try {
			const sftp = await client.connect({
				host: this.location.host,
				port: this.location.port,
				username: this.location.user,
				...auth,
				tryKeyboard: false,
				readyTimeout: READY_TIMEOUT_MS,
				keepaliveInterval: 5000,
				keepaliveCountMax: 3,
				hostVerifier,
				algorithms: {serverHostKey: hostKeyAlgorithms(lines, name) as never},
			});
			const connection: Connection = {client, sftp, alive: true};
			const dead = () => {
				connection.alive = false;
				if (this.current === connection) this.current = undefined;
			};
			client.on('close', dead);
			client.on('end', dead);
			client.on('error', dead);
			return connection;
		} catch (error) {
			(client as unknown as {client?: {destroy?(): void}}).client?.destroy?.();
			throw hostProblem ?? this.connectFailure(rawError ?? error);
		}
	}

	private async verifyHostKey(lines: Awaited<ReturnType<typeof readKnownHosts>>, name: string, key: Buffer, file: string): Promise<void> {
		const verdict = checkHostKey(lines, name, key);
		const where = `host key of ${this.endpoint}`;
		if (verdict.status === 'known') return;
		if (verdict.status === 'revoked') throw destinationError(this.label, `${where} is marked @revoked in ${file} (line ${verdict.line}); refusing to connect`);
		if (verdict.status === 'mismatch') {
			throw destinationError(this.label, `${where} does not match known_hosts (possible man-in-the-middle): the server sent ${keyFingerprint(key)}, ${file} line ${verdict.line} holds another key; if the server's key really changed, remove that line and check the new one`);
		}
		if (!this.options.trustNewHostKey) {
			throw destinationError(this.label, `${where} is not in ${file} (its SHA256 fingerprint is ${keyFingerprint(key)}); check it, then pass --trust-host-key to add it`);
		}
		await appendKnownHost(file, name, key);
	}

	/** Why a connection could not be made: Transient when another attempt may work. */
	private connectFailure(error: unknown): unknown {
		if (error instanceof LifeboatError) return error;
		const value = error as {level?: string; code?: string; message?: string};
		const message = String(value?.message ?? error);
		if (value?.level === 'client-authentication') {
			return destinationError(this.label, `authentication failed for ${this.location.user} (check the key: --ssh-key or LIFEBOAT_SSH_KEY, or the ssh agent)`, error);
		}
		if (value?.code === 'ENOTFOUND') return destinationError(this.label, `cannot resolve the host name ${this.location.host}`, error);
		if (value?.level === 'client-timeout' || value?.code === 'ETIMEDOUT') return new Transient(`timed out connecting to ${this.endpoint}`, {cause: error});
		if (value?.code === 'ECONNREFUSED') return new Transient(`connection refused by ${this.endpoint} (is its SSH server running?)`, {cause: error});
		if (value?.level === 'client-socket' || /ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Unexpected (close|end)/.test(`${value?.code} ${message}`)) {
			return new Transient(`connection to ${this.endpoint} failed (${shortReason(error)})`, {cause: error});
		}
		if (/subsystem/i.test(message)) return destinationError(this.label, `the server at ${this.endpoint} does not offer SFTP`, error);
		return destinationError(this.label, `cannot connect to ${this.endpoint} (${message.split('\n')[0]!.slice(0, 160)})`, error);
	}

	// ---- helpers ----

	private describe(error: unknown, what: string, attempts: number): LifeboatError {
		if (error instanceof LifeboatError) return error;
		if (error instanceof Transient) return destinationError(this.label, `${what}: ${error.reason}${attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''}`, error);
		const status = statusOf(error);
		if (status === STATUS.noSuchFile) return destinationError(this.label, `${what}: no such file or folder on the server`, error);
		if (status === STATUS.permissionDenied) return destinationError(this.label, `${what}: permission denied (check the folder's owner and mode on the server)`, error);
		if (status === STATUS.unsupported) return destinationError(this.label, `${what}: the server does not support this operation`, error);
		return destinationError(this.label, `${what}: ${shortReason(error)}`, error);
	}

	private exists(name: string): LifeboatError {
		return new LifeboatError('exists', `${this.locate(name)} already exists`);
	}

	private async lstat(sftp: SFTPWrapper, remote: string): Promise<Stats | undefined> {
		try {
			return await call<Stats>(done => sftp.lstat(remote, done));
		} catch (error) {
			if (statusOf(error) === STATUS.noSuchFile) return undefined;
			throw error;
		}
	}

	private async readFolder(sftp: SFTPWrapper) {
		try {
			return await call<Array<{filename: string; attrs: Stats}>>(done => sftp.readdir(this.folder, done));
		} catch (error) {
			if (statusOf(error) === STATUS.noSuchFile) return [];
			throw error;
		}
	}

	/** mkdir -p, new folders 0700. */
	private async makeFolders(sftp: SFTPWrapper, folder: string): Promise<void> {
		const stats = await this.lstat(sftp, folder).catch(() => undefined);
		if (stats) {
			if ((stats.mode & 0o170000) === 0o040000 || (stats.mode & 0o170000) === 0o120000) return;
			throw destinationError(this.label, `${folder} on the server is not a folder`);
		}
		const parent = path.posix.dirname(folder);
		if (parent !== folder && parent !== '.' && parent !== '/') await this.makeFolders(sftp, parent);
		try {
			await call(done => sftp.mkdir(folder, {mode: 0o700}, done));
		} catch (error) {
			if ((await this.lstat(sftp, folder).catch(() => undefined)) === undefined) throw error;
		}
	}

	/** Best effort: the next cleanup() removes what this cannot. */
	private async removeQuietly(connection: Connection, remote: string): Promise<void> {
		if (!connection.alive) return;
		await withTimeout(call(done => connection.sftp.unlink(remote, done)).catch(() => undefined), 5000);
	}
}

type Auth = {privateKey?: Buffer; passphrase?: string; agent?: string};

/** Key file (option, LIFEBOAT_SSH_KEY), else the agent, else the usual key files; never a password. */
async function loadAuth(label: string, options: SftpOptions, env: NodeJS.ProcessEnv): Promise<Auth> {
	const explicit = options.keyFile ?? (env.LIFEBOAT_SSH_KEY || undefined);
	if (explicit) return loadKey(label, explicit, env.LIFEBOAT_SSH_KEY_PASSPHRASE);
	if (env.SSH_AUTH_SOCK) return {agent: env.SSH_AUTH_SOCK};
	for (const file of ['id_ed25519', 'id_ecdsa', 'id_rsa'].map(base => path.join(homeOf(env), '.ssh', base))) {
		if (await fs.access(file).then(() => true, () => false)) return loadKey(label, file, env.LIFEBOAT_SSH_KEY_PASSPHRASE);
	}
	throw destinationError(label, 'no ssh key to log in with: pass --ssh-key, set LIFEBOAT_SSH_KEY or start an ssh agent');
}

async function loadKey(label: string, file: string, passphrase: string | undefined): Promise<Auth> {
	let privateKey: Buffer;
	try {
		privateKey = await fs.readFile(file);
	} catch (error) {
		throw destinationError(label, `cannot read the ssh key ${file} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : shortReason(error)})`, error);
	}
	const parsed = ssh2.utils.parseKey(privateKey, passphrase);
	if (parsed instanceof Error) {
		const encrypted = /passphrase|encrypted|decrypt/i.test(parsed.message);
		if (encrypted && !passphrase) throw destinationError(label, `the ssh key ${file} is protected by a passphrase: set LIFEBOAT_SSH_KEY_PASSPHRASE`);
		if (encrypted) throw destinationError(label, `cannot decrypt the ssh key ${file}: check LIFEBOAT_SSH_KEY_PASSPHRASE`);
		throw destinationError(label, `${file} is not a private key ssh can use (${parsed.message.split('\n')[0]})`);
	}
	return {privateKey, passphrase};
}

function encode(segment: string): string {
	return encodeURIComponent(segment).replace(/%40/g, '@');
}

function homeOf(env: NodeJS.ProcessEnv): string {
	return env.HOME || os.homedir();
}

function lostReason(error: unknown): string {
	const text = `${(error as {code?: unknown})?.code} ${(error as Error)?.message}`;
	if (/ECONNRESET|EPIPE/.test(text)) return 'connection reset';
	if (/Unexpected (close|end) event|Not connected|No SFTP connection|Channel not open/i.test(text)) return 'the server closed it';
	if (/No response from server/i.test(text)) return 'no response from the server';
	if (/timed? ?out/i.test(text)) return 'timeout';
	return shortReason(error);
}

function isFile(mode: number): boolean {
	return (mode & 0o170000) === 0o100000;
}

/** The SFTP status code of a failed request (2 no such file, 3 permission denied, …). */
function statusOf(error: unknown): number | undefined {
	const code = (error as {code?: unknown})?.code;
	return typeof code === 'number' ? code : undefined;
}

type Feed = {
	/** What put() hands to the server: the source's bytes, hashed and counted on the way. */
	stream: Transform;
	/** The abort reason, or the source's own error, once either happened. */
	failure(): unknown;
	/** Throws failure() if there is one. */
	check(): void;
	result(): PutResult;
	/** Stops reading the source (after a failure). */
	stop(): void;
};

function feedFrom(source: Readable, options: PutOptions): Feed {
	let sent = 0;
	const tap = hashingTap(bytes => options.onBytes?.((sent += bytes)));
	let sourceError: unknown;
	pipeline(source, tap.transform, error => {
		if (error && sourceError === undefined) sourceError = error;
	});
	const onAbort = () => tap.transform.destroy(options.signal!.reason as Error);
	options.signal?.addEventListener('abort', onAbort, {once: true});
	tap.transform.once('close', () => options.signal?.removeEventListener('abort', onAbort));
	const failure = () => (options.signal?.aborted ? options.signal.reason : sourceError);
	return {
		stream: tap.transform,
		failure,
		check() {
			const value = failure();
			if (value !== undefined) throw value;
		},
		result: () => tap.result(),
		stop() {
			options.signal?.removeEventListener('abort', onAbort);
			if (!tap.transform.destroyed) tap.transform.destroy();
		},
	};
}

function call<T = void>(start: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
	return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>(resolve => (timer = setTimeout(() => resolve(undefined), ms)));
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}
