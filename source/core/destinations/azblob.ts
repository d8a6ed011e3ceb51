/**
 * Azure Blob destination: `azblob://account/container/prefix/`, objects are block blobs named
 * prefix + name. Credentials come from the environment only and are never stored:
 * AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY (the account key of the URL's account),
 * else AZURE_STORAGE_SAS_TOKEN. The endpoint is `options.endpoint`, else LIFEBOAT_AZURE_ENDPOINT
 * (azurite: `http://127.0.0.1:10000/devstoreaccount1`), else the connection string's BlobEndpoint,
 * else `https://ACCOUNT.blob.core.windows.net`.
 *
 * A put stages blocks as the stream arrives and commits the block list only at the end, so nothing
 * is visible before it resolves; a failed or aborted put commits nothing.
 */
import crypto from 'node:crypto';
import {Readable, type Transform, addAbortSignal, pipeline} from 'node:stream';
import {buffer} from 'node:stream/consumers';
import {AnonymousCredential, type BlobServiceClient as ServiceClient, BlobServiceClient, type ContainerClient, StorageSharedKeyCredential, type StoragePipelineOptions} from '@azure/storage-blob';
import {LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {type Destination, type PutOptions, type PutResult, type ReadOptions, type StoredObject, checkObjectName, isObjectName} from './destination.js';
import {abortReason, destinationError, isTransient, shortReason, withRetry} from './retry.js';
import {failWhenIdle} from './idle-read.js';

export type AzureLocation = {account: string; container: string; /** '' or ending in '/'. */ prefix: string};
export type AzureOptions = {
	endpoint?: string;
	env?: NodeJS.ProcessEnv;
	/** A body being read fails when the server sends nothing for this long (default 30 s). */
	bodyIdleMs?: number;
};

const CREDENTIAL_HINT = 'AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN';
/** Blocks staged at once. Memory of a put ≈ block size × (STAGE_CONCURRENCY + 1). */
export const STAGE_CONCURRENCY = 4;
const MIN_BLOCK = 4 * 1024 * 1024;
const MAX_BLOCK = 4000 * 1024 * 1024;
const MAX_BLOCKS = 50_000;
/** Names per list request (Azure allows up to 5,000). */
const LIST_PAGE = 1000;
/** Client-side limit on one request (the SDK has none: a silent server would hang forever). */
const REQUEST_TIMEOUT_MS = 10_000;
/** A body being read fails when the server sends nothing for this long. */
const BODY_IDLE_MS = 30_000;
/** No new attempt starts this long after the first: a dead or silent server fails in ~30 s. */
const RETRY_WINDOW_MS = 30_000;
/** The SDK retries nothing itself (withRetry does, and reports it); `timeout=` tells the server. */
const SDK_OPTIONS: StoragePipelineOptions = {retryOptions: {maxTries: 1, tryTimeoutInMs: 30_000}};
/** Uncommitted uploads of ours older than this are removed by cleanup(). */
const STALE_MS = 60 * 60 * 1000;

type Access = {service: ServiceClient};

/** The service client from the environment's credentials; a missing credential is one line. */
function connect(location: AzureLocation, label: string, options: AzureOptions): Access {
	const env = options.env ?? process.env;
	const override = options.endpoint ?? (env.LIFEBOAT_AZURE_ENDPOINT || undefined);
	const connection = env.AZURE_STORAGE_CONNECTION_STRING;
	if (connection) {
		const parts = parseConnectionString(connection);
		const account = parts.accountname;
		if (account && account !== location.account) throw destinationError(label, `AZURE_STORAGE_CONNECTION_STRING is for account "${account}", not "${location.account}"`);
		const endpoint = override ?? parts.blobendpoint ?? `${parts.defaultendpointsprotocol ?? 'https'}://${location.account}.blob.${parts.endpointsuffix ?? 'core.windows.net'}`;
		if (parts.accountkey) return {service: new BlobServiceClient(checkEndpoint(label, endpoint), new StorageSharedKeyCredential(location.account, parts.accountkey), SDK_OPTIONS)};
		if (parts.sharedaccesssignature) return {service: new BlobServiceClient(withSas(checkEndpoint(label, endpoint), parts.sharedaccesssignature), new AnonymousCredential(), SDK_OPTIONS)};
		throw destinationError(label, 'AZURE_STORAGE_CONNECTION_STRING holds neither AccountKey nor SharedAccessSignature');
	}
	const endpoint = checkEndpoint(label, override ?? `https://${location.account}.blob.core.windows.net`);
	if (env.AZURE_STORAGE_KEY) return {service: new BlobServiceClient(endpoint, new StorageSharedKeyCredential(location.account, env.AZURE_STORAGE_KEY), SDK_OPTIONS)};
	if (env.AZURE_STORAGE_SAS_TOKEN) return {service: new BlobServiceClient(withSas(endpoint, env.AZURE_STORAGE_SAS_TOKEN), new AnonymousCredential(), SDK_OPTIONS)};
	throw destinationError(label, `no Azure credentials: set ${CREDENTIAL_HINT.replaceAll(' /', ',').replace(/, (\S+)$/, ' or $1')}`);
}

/** `Key=Value;…` with lower-cased keys (values may contain '='). */
function parseConnectionString(text: string): Record<string, string> {
	const parts: Record<string, string> = {};
	for (const pair of text.split(';')) {
		const at = pair.indexOf('=');
		if (at > 0) parts[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim();
	}
	return parts;
}

function checkEndpoint(label: string, endpoint: string): string {
	let url: URL | undefined;
	try {
		url = new URL(endpoint);
	} catch {}
	if (!url || !/^https?:$/.test(url.protocol)) throw destinationError(label, `the Azure endpoint is not an http(s) URL (check LIFEBOAT_AZURE_ENDPOINT)`);
	return endpoint.replace(/\/+$/, '');
}

const withSas = (endpoint: string, sas: string) => `${endpoint}?${sas.replace(/^\?/, '')}`;

export function openAzureDestination(location: AzureLocation, options: AzureOptions = {}): Destination {
	if (location.prefix !== '' && !location.prefix.endsWith('/')) throw new TypeError(`Azure prefix must be empty or end in "/": ${location.prefix}`);
	const label = `azblob://${location.account}/${location.container}/${location.prefix}`;
	const {service} = connect(location, label, options);
	return new AzureDestination(label, location, service.getContainerClient(location.container), options.bodyIdleMs ?? BODY_IDLE_MS);
}

/**
 * The block ID layout: `lifeboat-TIME-UPLOAD-INDEX`, fixed length (Azure wants one length per blob),
 * with the time the block was staged (base 36 ms) so cleanup can tell a stale upload from a slow one.
 */
const BLOCK_ID = /^lifeboat-([0-9a-z]{9})-([0-9a-f]{12})-(\d{6})$/;
const blockId = (upload: string, index: number) => Buffer.from(`lifeboat-${Date.now().toString(36).padStart(9, '0')}-${upload}-${String(index).padStart(6, '0')}`).toString('base64');
const newUploadId = () => crypto.randomBytes(6).toString('hex');

/** Block size for block `index`: sized so the expected bytes fit well under 50,000 blocks, then grown if more comes. */
export function blockSizeFor(index: number, expectedBytes?: number): number {
	const base = Math.max(MIN_BLOCK, Math.ceil((expectedBytes ?? 0) / 30_000 / MIN_BLOCK) * MIN_BLOCK);
	const growth = index < 30_000 ? 0 : Math.floor((index - 30_000) / 4_000) + 1;
	return Math.min(MAX_BLOCK, base * 2 ** growth);
}

class AzureDestination implements Destination {
	readonly kind = 'azblob' as const;

	constructor(
		readonly label: string,
		private readonly location: AzureLocation,
		private readonly container: ContainerClient,
		private readonly bodyIdleMs: number,
	) {}

	locate(name: string): string {
		return this.label + name;
	}

	private blob(name: string) {
		return this.container.getBlockBlobClient(this.location.prefix + checkObjectName(name));
	}

	/** One request with retries, a client-side timeout per attempt, and one-line failures. */
	private async call<T>(operation: string, options: ReadOptions, work: (signal: AbortSignal) => Promise<T>, name?: string): Promise<T> {
		try {
			return await retrying(operation, options, work);
		} catch (error) {
			throw this.failure(error, options.signal, name);
		}
	}

	/** The operator's line for a failure (or the abort reason when the caller aborted). */
	private failure(error: unknown, signal: AbortSignal | undefined, name?: string): unknown {
		if (error instanceof LifeboatError) return error;
		if (signal?.aborted) return abortReason(signal);
		const where = name === undefined ? this.label : this.locate(name);
		const status = (error as {statusCode?: number}).statusCode;
		const code = errorCode(error);
		if (code === 'AuthenticationFailed' || code === 'AuthorizationFailure' || code?.startsWith('AuthorizationPermission') || status === 403 || status === 401) {
			return destinationError(this.label, `access denied (check ${CREDENTIAL_HINT})`, error);
		}
		if (code === 'ContainerNotFound') return destinationError(this.label, `no such container "${this.location.container}" (create it, or check the URL)`, error);
		if (code === 'BlobNotFound' || (status === 404 && name !== undefined)) return destinationError(where, 'no such object', error);
		if (code === 'AccountIsDisabled' || code === 'InvalidResourceName' || code === 'OutOfRangeInput') return destinationError(this.label, `refused by the service (${code})`, error);
		if (transientAzure(error)) return destinationError(this.label, `unreachable or failing after retries (${shortReason(error)}): check the endpoint and the network`, error);
		return destinationError(where, `the service refused the request (${shortReason(error)})`, error);
	}

	async list(options: ReadOptions = {}): Promise<StoredObject[]> {
		return this.listBlobs(options, false);
	}

	private async listBlobs(options: ReadOptions, uncommitted: boolean): Promise<StoredObject[]> {
		const objects: StoredObject[] = [];
		let continuationToken: string | undefined;
		do {
			const page = await this.call('listing', options, async signal => {
				const pages = this.container.listBlobsByHierarchy('/', {prefix: this.location.prefix, includeUncommitedBlobs: uncommitted, abortSignal: signal}).byPage({continuationToken, maxPageSize: LIST_PAGE});
				return (await pages.next()).value;
			});
			if (!page) break;
			for (const item of page.segment.blobItems) {
				const name = item.name.slice(this.location.prefix.length);
				if (name === '' || name.includes('/') || !isObjectName(name)) continue;
				objects.push({name, size: item.properties.contentLength ?? 0, modified: item.properties.lastModified});
			}
			continuationToken = page.continuationToken || undefined;
		} while (continuationToken);
		return objects;
	}

	async stat(name: string, options: ReadOptions = {}): Promise<StoredObject | undefined> {
		const blob = this.blob(name);
		try {
			const properties = await retrying(`checking ${name}`, options, signal => blob.getProperties({abortSignal: signal}));
			return {name, size: properties.contentLength ?? 0, modified: properties.lastModified ?? new Date(0)};
		} catch (error) {
			// A HEAD has no body, so a 404 carries no error code: a missing container reads as a missing blob here.
			if ((error as {statusCode?: number}).statusCode === 404) return undefined;
			throw this.failure(error, options.signal, name);
		}
	}

	async readRange(name: string, offset: number, length: number, options: ReadOptions = {}): Promise<Buffer> {
		const blob = this.blob(name);
		if (length <= 0) return Buffer.alloc(0);
		try {
			return await retrying(`reading bytes ${offset}-${offset + length - 1} of ${name}`, options, async signal => {
				const response = await blob.download(offset, length, {abortSignal: signal});
				return buffer(response.readableStreamBody!);
			}, REQUEST_TIMEOUT_MS + Math.ceil(length / 256));
		} catch (error) {
			// Reading at or past the end is a 416 from Azure: the contract says "fewer bytes", here none.
			if ((error as {statusCode?: number}).statusCode === 416 && (await this.stat(name, options))) return Buffer.alloc(0);
			throw this.failure(error, options.signal, name);
		}
	}

	async read(name: string, options: ReadOptions & {offset?: number} = {}): Promise<Readable> {
		const blob = this.blob(name);
		const offset = options.offset ?? 0;
		try {
			// The timeout covers getting the response; the body then streams as long as it takes (the
			// SDK resumes it from where it broke off, same ETag, up to 5 times), but fails when the
			// server sends nothing for bodyIdleMs (BODY_IDLE_MS) while it is read.
			const body = await retrying(`reading ${name}`, options, async signal => {
				const response = await blob.download(offset, undefined, {abortSignal: signal, maxRetryRequests: 5});
				return response.readableStreamBody as Readable;
			});
			return failWhenIdle(body, this.bodyIdleMs, what => destinationError(this.locate(name), `unreachable while reading (${what}): check the endpoint and the network`));
		} catch (error) {
			if ((error as {statusCode?: number}).statusCode === 416 && (await this.stat(name, options))) return Readable.from([]);
			throw this.failure(error, options.signal, name);
		}
	}

	async delete(name: string, options: ReadOptions = {}): Promise<void> {
		const blob = this.blob(name);
		await this.call(`deleting ${name}`, options, signal => blob.delete({abortSignal: signal}), name);
	}

	async put(name: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
		const blob = this.blob(name);
		// Take the source at once: an error it emits while the checks below run is the put's failure.
		const upload = new BlockUpload(blob, this.locate(name), source, options);
		let blocks: string[];
		try {
			if (!options.overwrite && (await this.stat(name, options))) throw this.exists(name);
			blocks = await upload.stage();
		} catch (error) {
			upload.discard();
			// The source's own failure (or an abort) is rethrown as it is; the service's becomes a line.
			if (error === upload.stageError) throw this.failure(error, options.signal, name);
			throw error;
		}
		const conditions = options.overwrite ? {} : {ifNoneMatch: '*'};
		try {
			await retrying(`committing ${name}`, options, signal => blob.commitBlockList(blocks, {conditions, abortSignal: signal}));
		} catch (error) {
			const code = errorCode(error);
			if (!options.overwrite && (code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || code === 'InvalidBlockList')) throw this.exists(name, error);
			// Committing a block list discards every uncommitted block of that blob, so another put of
			// the same name that committed first took this one's blocks with it: nothing mixed, this one lost.
			if (code === 'InvalidBlockList') throw destinationError(this.locate(name), 'another upload of the same name finished first and discarded this one (nothing of it was kept); try again', error);
			throw this.failure(error, options.signal, name);
		}
		return upload.result();
	}

	private exists(name: string, cause?: unknown): LifeboatError {
		return new LifeboatError('exists', `${this.locate(name)} already exists; choose another name`, {cause});
	}

	/**
	 * Azure keeps the staged blocks of an upload that never committed as an "uncommitted blob"
	 * (listed only with include=uncommittedblobs) and garbage-collects them itself 7 days after
	 * they were staged; a plain Delete Blob does not reach them. So for each uncommitted blob under
	 * the prefix whose blocks are all ours and were all staged over an hour ago (each block ID holds its
	 * time), this commits an empty block list (which discards all uncommitted blocks; it refuses if
	 * a committed blob appeared meanwhile) and deletes the empty blob it made, matching its ETag.
	 * Uncommitted blocks next to a committed blob (an interrupted overwrite) are left to Azure's GC.
	 */
	async cleanup(): Promise<string[]> {
		const committed = new Set((await this.listBlobs({}, false)).map(object => object.name));
		const removed: string[] = [];
		for (const object of await this.listBlobs({}, true)) {
			if (committed.has(object.name)) continue;
			const blob = this.blob(object.name);
			const blocks = await this.call(`checking ${object.name}`, {}, signal => blob.getBlockList('uncommitted', {abortSignal: signal}), object.name).catch(() => undefined);
			const ids = (blocks?.uncommittedBlocks ?? []).map(block => BLOCK_ID.exec(Buffer.from(block.name, 'base64').toString('latin1')));
			if (ids.length === 0 || ids.some(match => !match || Date.now() - Number.parseInt(match[1]!, 36) < STALE_MS)) continue;
			try {
				const made = await this.call(`discarding ${object.name}`, {}, signal => blob.commitBlockList([], {conditions: {ifNoneMatch: '*'}, abortSignal: signal}), object.name);
				await this.call(`discarding ${object.name}`, {}, signal => blob.delete({conditions: {ifMatch: made.etag}, abortSignal: signal}), object.name);
				removed.push(`removed an interrupted upload of ${this.locate(object.name)} (${ids.length} uncommitted block${ids.length === 1 ? '' : 's'})`);
			} catch {
				// Someone committed that name meanwhile, or the service refused: leave it to Azure's GC.
			}
		}
		return removed;
	}

	async close(): Promise<void> {
		// The SDK keeps no connection that needs closing (its HTTP agent is shared and unrefs idle sockets).
	}
}

/**
 * Stages a stream as blocks of `blockSizeFor(index)` bytes, at most STAGE_CONCURRENCY at once,
 * hashing and counting bytes as they pass. Reading waits while the stage slots are full, so memory
 * stays ≈ block size × (STAGE_CONCURRENCY + 1).
 */
class BlockUpload {
	/** The first failure staging a block (after its retries). */
	stageError: unknown;
	private readonly uploadId = newUploadId();
	private readonly controller = new AbortController();
	private readonly inFlight = new Set<Promise<void>>();
	private readonly spare: Buffer[] = [];
	private tap: ReturnType<typeof hashingTap>;
	private sent = 0;

	private readonly input: Transform;

	constructor(private readonly blob: ReturnType<ContainerClient['getBlockBlobClient']>, private readonly where: string, private readonly source: Readable, private readonly options: PutOptions) {
		this.tap = hashingTap(bytes => {
			this.sent += bytes;
			options.onBytes?.(this.sent);
		});
		this.input = addAbortSignal(this.controller.signal, this.tap.transform);
		pipeline(source, this.input, () => {
			// Failures reach stage() through `input`.
		});
	}

	/** Stops reading the source (after a failure). */
	discard(): void {
		this.controller.abort();
		this.source.destroy();
	}

	result(): PutResult {
		return this.tap.result();
	}

	async stage(): Promise<string[]> {
		const {signal} = this.options;
		const stop = () => this.controller.abort(signal?.reason);
		if (signal?.aborted) throw abortReason(signal);
		signal?.addEventListener('abort', stop, {once: true});
		const ids: string[] = [];
		try {
			let block = this.buffer(blockSizeFor(0, this.options.expectedBytes));
			let filled = 0;
			for await (const chunk of this.input as AsyncIterable<Buffer>) {
				for (let at = 0; at < chunk.length; ) {
					const take = Math.min(chunk.length - at, block.length - filled);
					chunk.copy(block, filled, at, at + take);
					filled += take;
					at += take;
					if (filled < block.length) continue;
					await this.send(ids, block, filled);
					block = this.buffer(blockSizeFor(ids.length, this.options.expectedBytes));
					filled = 0;
				}
			}
			if (filled > 0) await this.send(ids, block, filled);
			await Promise.all(this.inFlight);
			if (this.stageError) throw this.stageError;
			return ids;
		} catch (error) {
			this.controller.abort(error);
			await Promise.allSettled(this.inFlight);
			this.source.destroy();
			if (signal?.aborted) throw abortReason(signal);
			throw this.stageError ?? error;
		} finally {
			signal?.removeEventListener('abort', stop);
		}
	}

	/** A block buffer: a spare one of that size (staged already), else a new one; so at most STAGE_CONCURRENCY + 1 exist. */
	private buffer(size: number): Buffer {
		const spare = this.spare.pop();
		return spare?.length === size ? spare : Buffer.allocUnsafe(size);
	}

	/** Starts staging one block once a slot is free. */
	private async send(ids: string[], block: Buffer, length: number): Promise<void> {
		if (ids.length >= MAX_BLOCKS) throw new LifeboatError('destination', `${this.where}: more than ${MAX_BLOCKS} blocks; the archive is far larger than expected`);
		while (this.inFlight.size >= STAGE_CONCURRENCY) await Promise.race(this.inFlight);
		if (this.stageError) throw this.stageError;
		const id = blockId(this.uploadId, ids.length);
		const index = ids.length;
		ids.push(id);
		const body = block.subarray(0, length);
		const timeoutMs = REQUEST_TIMEOUT_MS + Math.ceil(length / 256); // at least ~256 KB/s: 26 s for 4 MiB
		const task = retrying(`uploading block ${index + 1}`, {signal: this.controller.signal, onRetry: this.options.onRetry}, signal => this.blob.stageBlock(id, body, length, {abortSignal: signal}), timeoutMs)
			.then(() => undefined, (error: unknown) => {
				this.stageError ??= error;
				this.controller.abort(error);
			})
			.finally(() => {
				this.inFlight.delete(task);
				this.spare.push(block);
			});
		this.inFlight.add(task);
	}
}

/**
 * `work` with retries of transient failures (reported through `onRetry`), each attempt limited to
 * `timeoutMs`, and no new attempt after RETRY_WINDOW_MS.
 */
function retrying<T>(operation: string, options: ReadOptions, work: (signal: AbortSignal) => Promise<T>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
	const started = Date.now();
	const transient = (error: unknown) => transientAzure(error) && Date.now() - started < RETRY_WINDOW_MS;
	return withRetry(operation, () => timed(options.signal, timeoutMs, work), {signal: options.signal, onRetry: options.onRetry, transient});
}

/** Runs `work` with a signal that aborts on the caller's signal or after `timeoutMs`; a timeout is a transient ETIMEDOUT. */
async function timed<T>(outer: AbortSignal | undefined, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
	const controller = new AbortController();
	const timer = setTimeout(() => controller.abort(), timeoutMs);
	const onAbort = () => controller.abort(outer?.reason);
	outer?.addEventListener('abort', onAbort, {once: true});
	try {
		if (outer?.aborted) throw abortReason(outer);
		return await work(controller.signal);
	} catch (error) {
		if (outer?.aborted) throw abortReason(outer);
		if (controller.signal.aborted) throw Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'});
		throw error;
	} finally {
		clearTimeout(timer);
		outer?.removeEventListener('abort', onAbort);
	}
}

/** The service's error code (x-ms-error-code), or a Node network code. */
function errorCode(error: unknown): string | undefined {
	const value = error as {code?: unknown; details?: {errorCode?: unknown}};
	if (typeof value?.details?.errorCode === 'string') return value.details.errorCode;
	return typeof value?.code === 'string' ? value.code : undefined;
}

/** Transient for Azure too: the SDK reports a dead connection as REQUEST_SEND_ERROR and server busy as 503/500. */
function transientAzure(error: unknown): boolean {
	if (isTransient(error)) return true;
	const code = errorCode(error);
	return code === 'REQUEST_SEND_ERROR' || code === 'ServerBusy' || code === 'OperationTimedOut' || code === 'InternalError';
}


