/**
 * The S3 destination (`s3://bucket/prefix/`): AWS S3 or any S3-compatible store (path-style when
 * an endpoint is given). Puts stream through @aws-sdk/lib-storage multipart uploads: memory stays
 * near partSize × (QUEUE_SIZE + 1), whatever the size. Credentials come from the SDK's default
 * chain (env, shared profile, instance role); none is stored here.
 *
 * Retries: list/stat/readRange/read/delete/cleanup requests are retried by withRetry (the SDK makes
 * one attempt each, each of ours under a deadline); puts are retried by the SDK part by part (a
 * stream cannot be replayed). Both report each retry through `onRetry`.
 *
 * Bounds: a refused connection fails a metadata call in ~1 s (3 attempts), a server that hangs in
 * ~32 s (3 × 10 s deadline + backoff); an upload part gets 3 attempts, each under a 5 s connect
 * timeout and a 30 s idle-socket timeout. Measured: a 200 MiB put peaks at ~160 MB RSS for the
 * whole process (~70 MB before it), the same at 600 MiB. An abort cuts a put's requests at once
 * (measured ~25 ms to reject) and every call on an aborted signal rejects with its reason; the
 * cleanup after it (aborting the multipart upload, deleting an object completed anyway) takes
 * at most 10 s. list() refuses a prefix of over 100,000 keys; readRange never reads much past
 * `length`, even from a server that ignores Range.
 */
import {AsyncLocalStorage} from 'node:async_hooks';
import {pipeline, Readable} from 'node:stream';
import {AbortMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, S3Client} from '@aws-sdk/client-s3';
import {Upload} from '@aws-sdk/lib-storage';
import {LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {checkObjectName, isObjectName, type Destination, type PutOptions, type PutResult, type ReadOptions, type RetryNote, type StoredObject} from './destination.js';
import {abortReason, destinationError, isTransient, shortReason, withRetry} from './retry.js';
import {failWhenIdle} from './idle-read.js';

// The SDK warns on stderr, once per process, that its releases after January 2027 need Node 22:
// the lockfile pins a release that runs on Node 20, and a command's stderr is for its own one
// line. The warning says nothing an operator can act on here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export type S3Location = {bucket: string; prefix: string};

export type S3Options = {
	/** An S3-compatible endpoint (`http://127.0.0.1:9000`); else LIFEBOAT_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL. */
	endpoint?: string;
	/** Else AWS_REGION, AWS_DEFAULT_REGION, 'us-east-1'. */
	region?: string;
	/** Default: on when an endpoint is given. */
	forcePathStyle?: boolean;
	/** Where LIFEBOAT_S3_ENDPOINT, AWS_* are read (default process.env). */
	env?: NodeJS.ProcessEnv;
	/** list() refuses a prefix holding more keys than this (default 100,000): it would page and hold them all. */
	maxListedKeys?: number;
	/** A body being read fails when the server sends nothing for this long (default 30 s). */
	bodyIdleMs?: number;
};

export type S3CleanupOptions = {
	/** Multipart uploads started, and last given a part, longer ago than this are aborted (default an hour). */
	olderThanMs?: number;
};

const MiB = 1024 * 1024;
/** Parts uploaded at once: peak memory ≈ partSize × (QUEUE_SIZE + 1). */
export const QUEUE_SIZE = 4;
const MAX_PARTS = 10_000;
/** Part size when the size is unknown: 8 MiB parts hold objects up to ~78 GiB. */
const UNKNOWN_SIZE_PART = 8 * MiB;
/** A connection must open within this; a socket idle this long is a timeout. */
const CONNECTION_TIMEOUT_MS = 5000;
const SOCKET_IDLE_TIMEOUT_MS = 30_000;
/** One metadata request (list page, head, ranged get, delete) must finish within this. */
const REQUEST_DEADLINE_MS = 10_000;
/** withRetry attempts for metadata requests; the SDK attempts for each upload request. */
const ATTEMPTS = 3;
const UPLOAD_ATTEMPTS = 3;
const HOUR_MS = 60 * 60 * 1000;
/** How long an aborted put spends cleaning up (aborting its multipart upload, deleting a completed object). */
const ABORT_GRACE_MS = 10_000;
const MAX_LISTED_KEYS = 100_000;
/** ListParts pages (1,000 parts each) read for one upload: 10,000 parts at most. */
const MAX_PART_PAGES = 10;
const OUR_METADATA = {lifeboat: '1'};

/**
 * Part size for an upload of about `expectedBytes`: at least 5 MiB (S3's minimum), whole MiB, and
 * large enough that 10,000 parts hold the object with 10% to spare for a low estimate.
 */
export function choosePartSize(expectedBytes?: number): number {
	if (expectedBytes === undefined || !Number.isFinite(expectedBytes) || expectedBytes < 0) return UNKNOWN_SIZE_PART;
	const needed = Math.ceil((expectedBytes * 1.1) / MAX_PARTS);
	return Math.max(5 * MiB, Math.ceil(needed / MiB) * MiB);
}

type RetryContext = {attempts: number; operation: string; onRetry?: (note: RetryNote) => void};
/** Which call the SDK is retrying, so its retries are counted and reported per call. */
const retryContext = new AsyncLocalStorage<RetryContext>();

type Token = {getRetryCount(): number; getRetryDelay(): number};
const token = (count: number, delay: number): Token => ({getRetryCount: () => count, getRetryDelay: () => delay});

/** The SDK's retry strategy: attempts and reporting from the calling operation's context. */
const reportingRetryStrategy = {
	async acquireInitialRetryToken(): Promise<Token> {
		return token(0, 0);
	},
	async refreshRetryTokenForRetry(previous: Token, info: {error?: unknown; errorType: string}): Promise<Token> {
		const context = retryContext.getStore() ?? {attempts: 1, operation: 'request'};
		const attempt = previous.getRetryCount() + 1;
		if (attempt >= context.attempts || (info.errorType === 'CLIENT_ERROR' && !isTransient(info.error))) throw info.error;
		const delayMs = Math.round(Math.min(4000, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5));
		context.onRetry?.({operation: context.operation, attempt, of: context.attempts, delayMs, reason: shortReason(info.error)});
		return token(attempt, delayMs);
	},
	recordSuccess(): void {},
};

type Resolved = {endpoint?: string; region: string; printableEndpoint: string};

const ENDPOINT_VARIABLES = ['LIFEBOAT_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const;

/**
 * The endpoint and region. An endpoint must be a plain http(s) URL: one holding user:password or
 * a query (where a secret could hide) is refused without echoing it, and error lines print only
 * its origin and path.
 */
function resolveEndpoint(options: S3Options, env: NodeJS.ProcessEnv): Resolved {
	const variable = ENDPOINT_VARIABLES.find(name => env[name]);
	const [source, endpoint] = options.endpoint ? ['--s3-endpoint', options.endpoint] : [variable ?? '', variable ? env[variable] : undefined];
	const region = options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1');
	if (endpoint === undefined) return {region, printableEndpoint: `https://s3.${region}.amazonaws.com`};
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		throw new LifeboatError('usage', `${source} is not a URL (give it as http://host:port or https://host)`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LifeboatError('usage', `${source} is not an http:// or https:// URL`);
	if (url.username || url.password || url.search || url.hash) {
		throw new LifeboatError('usage', `${source} must not hold credentials or a query (give keys through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)`);
	}
	return {endpoint, region, printableEndpoint: url.origin + (url.pathname === '/' ? '' : url.pathname)};
}

function makeClient(options: S3Options, env: NodeJS.ProcessEnv, resolved: Resolved): S3Client {
	const keys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? {accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined} : undefined;
	return new S3Client({
		region: resolved.region,
		endpoint: resolved.endpoint,
		forcePathStyle: options.forcePathStyle ?? resolved.endpoint !== undefined,
		// Keys from `env` as the SDK's env provider would read them; otherwise the SDK's whole chain.
		credentials: keys,
		profile: keys ? undefined : env.AWS_PROFILE || undefined,
		// S3-compatible stores often reject the SDK's newer default checksums; we hash ourselves.
		...(resolved.endpoint ? {requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const} : {}),
		retryStrategy: reportingRetryStrategy,
		requestHandler: {connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: SOCKET_IDLE_TIMEOUT_MS},
	});
}

type S3Failure = {name?: string; code?: string; message?: string; cause?: unknown; errors?: unknown[]; $metadata?: {httpStatusCode?: number}; $response?: {statusCode?: number}};

/** The HTTP status of an SDK error, if it got an answer. */
function statusOf(error: unknown): number | undefined {
	const failure = error as S3Failure | undefined;
	return failure?.$metadata?.httpStatusCode ?? failure?.$response?.statusCode;
}

/** A network error code (ECONNREFUSED...) wherever the SDK put it. */
function networkCode(error: unknown): string | undefined {
	for (let current = error as S3Failure | undefined, depth = 0; current && depth < 4; depth++) {
		if (typeof current.code === 'string' && /^E[A-Z]+$/.test(current.code)) return current.code;
		current = (current.errors?.[0] ?? current.cause) as S3Failure | undefined;
	}
	return undefined;
}

const NO_SUCH_BUCKET = 'no such bucket (create it, or check the bucket name and region)';
/** How long a failed upload waits to learn whether the bucket exists. */
const BUCKET_PROBE_MS = 5_000;
const ACCESS_DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired', 'AllAccessDisabled', 'Forbidden', 'AuthorizationHeaderMalformed']);
const NETWORK_WORDS: Record<string, string> = {ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ETIMEDOUT: 'timeout', ENOTFOUND: 'host not found', EAI_AGAIN: 'host not found', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable', EPIPE: 'connection closed'};

/** One operator line (a LifeboatError) for a failed S3 call; `where` is the label or an object's location. */
export function describeS3Error(error: unknown, where: string, what: string, endpoint: string): LifeboatError {
	if (error instanceof LifeboatError) return error;
	const failure = error as S3Failure | undefined;
	const name = failure?.name ?? '';
	const status = statusOf(error);
	if (name === 'CredentialsProviderError') return destinationError(where, 'no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)', error);
	if (ACCESS_DENIED.has(name) || status === 403) return destinationError(where, 'access denied (check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)', error);
	if (name === 'NoSuchBucket') return destinationError(where, NO_SUCH_BUCKET, error);
	if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return destinationError(where, 'no such object', error);
	if (name === 'PermanentRedirect' || status === 301) return destinationError(where, 'the bucket is in another region (set AWS_REGION)', error);
	const code = networkCode(error);
	if (code) return destinationError(where, `cannot reach the S3 endpoint ${endpoint} (${NETWORK_WORDS[code] ?? code})`, error);
	if (name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout') return destinationError(where, `cannot reach the S3 endpoint ${endpoint} (timeout)`, error);
	return destinationError(where, `${what} failed (${shortReason(error)})`, error);
}

export function openS3Destination(location: S3Location, options: S3Options = {}): Destination & {cleanup(options?: S3CleanupOptions): Promise<string[]>} {
	if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(location.bucket)) throw new TypeError(`invalid S3 bucket name ${JSON.stringify(location.bucket).slice(0, 80)}`);
	if (location.prefix !== '' && (!location.prefix.endsWith('/') || location.prefix.startsWith('/'))) throw new TypeError(`an S3 prefix is empty or ends with a slash: ${JSON.stringify(location.prefix).slice(0, 80)}`);
	const env = options.env ?? process.env;
	const resolved = resolveEndpoint(options, env);
	return new S3Store(location, resolved, makeClient(options, env, resolved), !resolved.endpoint, options.maxListedKeys ?? MAX_LISTED_KEYS, options.bodyIdleMs ?? SOCKET_IDLE_TIMEOUT_MS);
}

/** True when another attempt at a metadata request may get past `error` (our deadline counts). */
function retryable(error: unknown): boolean {
	return isTransient(error) || (error as S3Failure)?.name === 'TimeoutError' || networkCode(error) !== undefined;
}

class S3Store implements Destination {
	readonly kind = 's3' as const;
	readonly label: string;
	private closed = false;

	constructor(
		private readonly location: S3Location,
		private readonly resolved: Resolved,
		private readonly client: S3Client,
		/** Real AWS S3 honours If-None-Match on writes: a race between two puts is refused too. */
		private readonly conditionalWrites: boolean,
		private readonly maxListedKeys: number,
		private readonly bodyIdleMs: number,
	) {
		this.label = `s3://${location.bucket}/${location.prefix}`;
	}

	locate(name: string): string {
		return this.label + name;
	}

	private key(name: string): string {
		return this.location.prefix + checkObjectName(name);
	}

	/** The error a failed call rejects with: the abort's reason once `signal` aborted, else one operator line. */
	private fail(error: unknown, where: string, what: string, signal?: AbortSignal): Error {
		if (signal?.aborted) return abortReason(signal);
		return describeS3Error(error, where, what, this.resolved.printableEndpoint);
	}

	/**
	 * One metadata request, retried by withRetry with each attempt under a deadline; the SDK
	 * itself makes one attempt. Failures come back as the SDK's errors (callers map them), or as
	 * the abort's reason once `options.signal` aborted.
	 */
	private request<T>(operation: string, options: ReadOptions, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
		return withRetry(
			operation,
			async () => {
				const deadline = AbortSignal.timeout(REQUEST_DEADLINE_MS);
				const abortSignal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
				try {
					return await retryContext.run({attempts: 1, operation}, () => send(abortSignal));
				} catch (error) {
					if (options.signal?.aborted) throw abortReason(options.signal);
					if (deadline.aborted) throw Object.assign(new Error('timeout'), {name: 'TimeoutError', cause: error});
					throw error;
				}
			},
			{attempts: ATTEMPTS, baseDelayMs: 300, signal: options.signal, onRetry: options.onRetry, transient: retryable},
		).catch((error: unknown) => Promise.reject(options.signal?.aborted ? abortReason(options.signal) : error));
	}

	async put(name: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
		const key = this.key(name);
		const where = this.locate(name);
		const {signal} = options;
		if (signal?.aborted) throw abortReason(signal);
		// Listen to the source at once: it may fail while the name is checked.
		const tap = hashingTap();
		let sourceError: unknown;
		source.once('error', error => (sourceError ??= error));
		pipeline(source, tap.transform, () => undefined);
		if (!options.overwrite) {
			const taken = await this.stat(name, options).catch((error: unknown) => (tap.transform.destroy(), Promise.reject(error)));
			if (taken) {
				tap.transform.destroy();
				throw alreadyExists(where);
			}
		}
		const created: Array<Promise<string | undefined>> = [];
		const upload = new Upload({
			client: uploadClient(this.client, signal, created),
			queueSize: QUEUE_SIZE,
			partSize: choosePartSize(options.expectedBytes),
			params: {Bucket: this.location.bucket, Key: key, Body: tap.transform, ContentType: 'application/octet-stream', Metadata: OUR_METADATA, ...(this.conditionalWrites && !options.overwrite ? {IfNoneMatch: '*'} : {})},
		});
		let sent = 0;
		upload.on('httpUploadProgress', progress => {
			if (progress.loaded !== undefined && progress.loaded > sent) options.onBytes?.((sent = progress.loaded));
		});
		// On abort the source is cut (no more parts), the requests in flight are cut by the signal
		// (uploadClient), and the upload stops at once; undoAbortedPut then cleans up after it.
		const onAbort = () => {
			tap.transform.destroy(new Error('the upload was aborted'));
			void upload.abort();
		};
		signal?.addEventListener('abort', onAbort, {once: true});
		try {
			await retryContext.run({attempts: UPLOAD_ATTEMPTS, operation: `uploading ${name}`, onRetry: options.onRetry}, () => upload.done());
		} catch (error) {
			tap.transform.destroy(); // lets go of the source
			if (signal?.aborted) throw await this.undoAbortedPut(key, options, created, signal);
			// A source that failed on its own is the cause; one torn down because the upload failed
			// (premature close, aborted) is not: then the upload's failure is.
			const ownSourceError = sourceError && !isTeardown(sourceError as Error) ? sourceError : undefined;
			throw ownSourceError ?? (await this.failedPut(error, where));
		} finally {
			signal?.removeEventListener('abort', onAbort);
		}
		const result = tap.result();
		await this.checkStored(name, result.size, options).catch(async (error: unknown) => Promise.reject(signal?.aborted ? await this.undoAbortedPut(key, options, created, signal) : error));
		if (result.size > sent) options.onBytes?.(result.size);
		return result;
	}

	/**
	 * After a put was aborted: aborts the multipart upload it created (lib-storage's abort() does
	 * not wait for its own), and deletes the object if it got completed anyway (a put under one
	 * part is a single request that may have gone through): it was never asked to be kept. With
	 * `overwrite` the object replaced an older one that cannot be brought back: it is left. Spends
	 * at most ABORT_GRACE_MS; a multipart upload it could not abort is left for cleanup().
	 * Returns the abort's reason.
	 */
	private async undoAbortedPut(key: string, options: PutOptions, created: Array<Promise<string | undefined>>, signal: AbortSignal): Promise<Error> {
		const deadline = AbortSignal.timeout(ABORT_GRACE_MS);
		const timedOut = new Promise<undefined[]>(resolve => deadline.addEventListener('abort', () => resolve([]), {once: true}));
		const {bucket} = this.location;
		for (const uploadId of await Promise.race([Promise.all(created), timedOut])) {
			if (uploadId) await this.client.send(new AbortMultipartUploadCommand({Bucket: bucket, Key: key, UploadId: uploadId}), {abortSignal: deadline}).catch(() => undefined);
		}
		if (!options.overwrite) {
			const there = await this.client.send(new HeadObjectCommand({Bucket: bucket, Key: key}), {abortSignal: deadline}).then(() => true, () => false);
			if (there) await this.client.send(new DeleteObjectCommand({Bucket: bucket, Key: key}), {abortSignal: deadline}).catch(() => undefined);
		}
		return abortReason(signal);
	}

	private async failedPut(error: unknown, where: string): Promise<Error> {
		if (statusOf(error) === 412 || (error as S3Failure)?.name === 'PreconditionFailed') return alreadyExists(where, error);
		// A server may answer NoSuchBucket and close the connection while a part's body is still
		// being sent: the client then sees only the closed connection. Ask about the bucket.
		if (networkCode(error) && (await this.bucketMissing())) return destinationError(where, NO_SUCH_BUCKET, error);
		return this.fail(error, where, 'upload');
	}

	/** True when the server says the bucket does not exist (one request, a few seconds at most). */
	private async bucketMissing(): Promise<boolean> {
		try {
			await this.client.send(new HeadBucketCommand({Bucket: this.location.bucket}), {abortSignal: AbortSignal.timeout(BUCKET_PROBE_MS)});
			return false;
		} catch (error) {
			const name = (error as S3Failure)?.name;
			return name === 'NoSuchBucket' || name === 'NotFound' || statusOf(error) === 404;
		}
	}

	/** After a put: the object is there with the size that was streamed. */
	private async checkStored(name: string, size: number, options: ReadOptions): Promise<void> {
		const stored = await this.stat(name, options);
		if (stored?.size !== size) throw destinationError(this.locate(name), `the upload ended but the object holds ${stored ? `${stored.size} bytes instead of ${size}` : 'nothing'}`);
	}

	/** Pages through the prefix; refuses one holding more than maxListedKeys keys (bounded requests and memory). */
	async list(options: ReadOptions = {}): Promise<StoredObject[]> {
		const objects: StoredObject[] = [];
		let continuationToken: string | undefined;
		let seen = 0;
		for (let page = 1; ; page++) {
			const answer = await this.request(`listing${page > 1 ? ` (page ${page})` : ''}`, options, abortSignal =>
				this.client.send(new ListObjectsV2Command({Bucket: this.location.bucket, Prefix: this.location.prefix, Delimiter: '/', ContinuationToken: continuationToken}), {abortSignal}),
			).catch(error => Promise.reject(this.fail(error, this.label, 'listing', options.signal)));
			seen += (answer.Contents?.length ?? 0) + (answer.CommonPrefixes?.length ?? 0);
			if (seen > this.maxListedKeys) throw destinationError(this.label, `more than ${this.maxListedKeys.toLocaleString('en-US')} objects under this prefix (point --dest at a narrower prefix)`);
			for (const entry of answer.Contents ?? []) {
				const name = entry.Key?.slice(this.location.prefix.length) ?? '';
				if (!isObjectName(name)) continue;
				objects.push({name, size: entry.Size ?? 0, modified: entry.LastModified ?? new Date(0)});
			}
			if (!answer.IsTruncated || !answer.NextContinuationToken) return objects;
			continuationToken = answer.NextContinuationToken;
		}
	}

	async stat(name: string, options: ReadOptions = {}): Promise<StoredObject | undefined> {
		const key = this.key(name);
		try {
			const head = await this.request(`checking ${name}`, options, abortSignal => this.client.send(new HeadObjectCommand({Bucket: this.location.bucket, Key: key}), {abortSignal}));
			return {name, size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0)};
		} catch (error) {
			if (statusOf(error) === 404 && !options.signal?.aborted) return undefined;
			throw this.fail(error, this.locate(name), 'checking the object', options.signal);
		}
	}

	/**
	 * Reads the body as a stream and stops after `length` bytes, so a server that ignores Range
	 * costs a few socket buffers, not the object. An answer from another offset is refused; one
	 * from offset 0 with no Content-Range is fine for offset 0 (s3rver reads `bytes=0-0` as `bytes=0-`).
	 */
	async readRange(name: string, offset: number, length: number, options: ReadOptions = {}): Promise<Buffer> {
		const key = this.key(name);
		if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) throw new RangeError(`invalid range ${offset}+${length}`);
		if (length === 0) {
			if (!(await this.stat(name, options))) throw destinationError(this.locate(name), 'no such object');
			return Buffer.alloc(0);
		}
		const range = `bytes=${offset}-${offset + length - 1}`;
		try {
			return await this.request(`reading bytes ${offset}-${offset + length - 1} of ${name}`, options, async abortSignal => {
				const answer = await this.client.send(new GetObjectCommand({Bucket: this.location.bucket, Key: key, Range: range}), {abortSignal});
				const body = answer.Body instanceof Readable ? answer.Body : undefined;
				const start = /^bytes (\d+)-/.exec(answer.ContentRange ?? '')?.[1];
				if (start === undefined ? offset > 0 : Number(start) !== offset) {
					body?.destroy();
					throw destinationError(this.locate(name), `the server ignored the byte range (asked for ${range}, got ${answer.ContentRange ? `bytes ${start}-` : 'the whole object'}): use another S3-compatible server`);
				}
				return readAtMost(body, length);
			});
		} catch (error) {
			if (!options.signal?.aborted && (statusOf(error) === 416 || (error as S3Failure)?.name === 'InvalidRange')) return Buffer.alloc(0);
			throw this.fail(error, this.locate(name), 'reading', options.signal);
		}
	}

	async read(name: string, options: ReadOptions & {offset?: number} = {}): Promise<Readable> {
		const key = this.key(name);
		const offset = options.offset ?? 0;
		const operation = `reading ${name}${offset ? ` from byte ${offset}` : ''}`;
		try {
			// The deadline covers the answer's headers only: the body streams as long as it takes, but
			// fails when the server sends nothing for bodyIdleMs (30 s) while it is read.
			const answer = await withRetry(operation, () => retryContext.run({attempts: 1, operation}, () => this.client.send(new GetObjectCommand({Bucket: this.location.bucket, Key: key, Range: offset > 0 ? `bytes=${offset}-` : undefined}), {abortSignal: options.signal})), {attempts: ATTEMPTS, baseDelayMs: 300, signal: options.signal, onRetry: options.onRetry, transient: retryable});
			if (!(answer.Body instanceof Readable)) throw destinationError(this.locate(name), 'the S3 client returned no stream');
			return failWhenIdle(answer.Body, this.bodyIdleMs, what => destinationError(this.locate(name), `cannot reach the S3 endpoint ${this.resolved.printableEndpoint} while reading (${what})`));
		} catch (error) {
			if (!options.signal?.aborted && (statusOf(error) === 416 || (error as S3Failure)?.name === 'InvalidRange')) return Readable.from([]);
			throw this.fail(error, this.locate(name), 'reading', options.signal);
		}
	}

	async delete(name: string, options: ReadOptions = {}): Promise<void> {
		const key = this.key(name);
		// S3's delete succeeds on a missing object: check first, so a wrong name is said.
		if (!(await this.stat(name, options))) throw destinationError(this.locate(name), 'no such object');
		await this.request(`deleting ${name}`, options, abortSignal => this.client.send(new DeleteObjectCommand({Bucket: this.location.bucket, Key: key}), {abortSignal})).catch(error =>
			Promise.reject(this.fail(error, this.locate(name), 'deleting', options.signal)),
		);
	}

	/**
	 * Aborts multipart uploads under the prefix, directly under it, started over an hour ago (or
	 * `olderThanMs`) and given no part within that time either: a long upload still running (2 GB
	 * at 4 Mbit/s takes over an hour) is left alone.
	 */
	async cleanup(options: S3CleanupOptions = {}): Promise<string[]> {
		const cutoff = Date.now() - (options.olderThanMs ?? HOUR_MS);
		const lines: string[] = [];
		let keyMarker: string | undefined;
		let uploadIdMarker: string | undefined;
		for (;;) {
			const answer = await this.request('looking for interrupted uploads', {}, abortSignal =>
				this.client.send(new ListMultipartUploadsCommand({Bucket: this.location.bucket, Prefix: this.location.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker}), {abortSignal}),
			).catch((error: unknown) => {
				// A store without ListMultipartUploads (501) has nothing we could clean.
				if (statusOf(error) === 501 || (error as S3Failure)?.name === 'NotImplemented') return undefined;
				throw this.fail(error, this.label, 'looking for interrupted uploads');
			});
			if (!answer) return lines;
			for (const upload of answer.Uploads ?? []) {
				const name = upload.Key?.slice(this.location.prefix.length) ?? '';
				if (!upload.UploadId || !isObjectName(name) || (upload.Initiated?.getTime() ?? Infinity) > cutoff) continue;
				if ((await this.lastPartTime(upload.Key!, upload.UploadId, name)) > cutoff) continue;
				await this.request(`aborting the upload of ${name}`, {}, abortSignal => this.client.send(new AbortMultipartUploadCommand({Bucket: this.location.bucket, Key: upload.Key, UploadId: upload.UploadId}), {abortSignal})).catch(error =>
					Promise.reject(this.fail(error, this.locate(name), 'aborting an interrupted upload')),
				);
				lines.push(`${this.locate(name)}: aborted an interrupted upload started ${upload.Initiated!.toISOString()}`);
			}
			if (!answer.IsTruncated) return lines;
			keyMarker = answer.NextKeyMarker;
			uploadIdMarker = answer.NextUploadIdMarker;
		}
	}

	/**
	 * When a multipart upload last got a part (ms; -Infinity with no part, or on a store without
	 * ListParts, so its start decides); +Infinity once it is gone (completed or aborted meanwhile).
	 */
	private async lastPartTime(key: string, uploadId: string, name: string): Promise<number> {
		let newest = -Infinity;
		let marker: string | undefined;
		for (let page = 1; page <= MAX_PART_PAGES; page++) {
			const answer = await this.request(`listing the parts of ${name}`, {}, abortSignal => this.client.send(new ListPartsCommand({Bucket: this.location.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker}), {abortSignal})).catch((error: unknown) => {
				if (statusOf(error) === 501 || (error as S3Failure)?.name === 'NotImplemented') return undefined;
				if (statusOf(error) === 404 || (error as S3Failure)?.name === 'NoSuchUpload') return 'gone' as const;
				throw this.fail(error, this.locate(name), 'listing the parts of an upload');
			});
			if (answer === 'gone') return Infinity;
			if (!answer) return newest;
			for (const part of answer.Parts ?? []) newest = Math.max(newest, part.LastModified?.getTime() ?? -Infinity);
			if (!answer.IsTruncated || !answer.NextPartNumberMarker) return newest;
			marker = answer.NextPartNumberMarker;
		}
		return newest;
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.client.destroy();
	}
}

/**
 * The client a put's Upload sends through: its requests are cut when `signal` aborts, except
 * CreateMultipartUpload (a small request: once sent, its upload id is wanted, to abort it) and
 * AbortMultipartUpload; the ids of the multipart uploads it creates go to `created`.
 */
function uploadClient(client: S3Client, signal: AbortSignal | undefined, created: Array<Promise<string | undefined>>): S3Client {
	const send = client.send.bind(client) as (command: unknown, options?: {abortSignal?: AbortSignal}) => Promise<unknown>;
	return new Proxy(client, {
		get(target, property, receiver) {
			if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
			return (command: unknown, options?: {abortSignal?: AbortSignal}) => {
				if (command instanceof CreateMultipartUploadCommand) {
					const answer = send(command, options);
					created.push(answer.then(output => (output as {UploadId?: string}).UploadId, () => undefined));
					return answer;
				}
				if (!signal || command instanceof AbortMultipartUploadCommand) return send(command, options);
				return send(command, {...options, abortSignal: signal});
			};
		},
	});
}

/** Errors a stream gets when the other end of its pipe is torn down, not a failure of its own. */
function isTeardown(error: Error): boolean {
	const code = (error as NodeJS.ErrnoException).code;
	return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR' || error.name === 'AbortError' || code === 'ERR_STREAM_DESTROYED';
}

/** The first `length` bytes of `body` (fewer if it ends first); the rest is not read: the stream is destroyed. */
async function readAtMost(body: Readable | undefined, length: number): Promise<Buffer> {
	if (!body) return Buffer.alloc(0);
	const chunks: Buffer[] = [];
	let have = 0;
	try {
		for await (const chunk of body) {
			const bytes = (chunk as Buffer).subarray(0, length - have);
			chunks.push(bytes);
			have += bytes.length;
			if (have >= length) break;
		}
	} finally {
		body.destroy();
	}
	return Buffer.concat(chunks, have);
}

function alreadyExists(where: string, cause?: unknown): LifeboatError {
	return new LifeboatError('exists', `${where}: already exists (choose another name or allow replacing it)`, {cause});
}
