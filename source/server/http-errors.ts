/**
 * Every error of `lifeboat serve` is JSON: `{error, detail?, code?, log_id?}` with `error` one of
 * the documented texts (the agentic framework's: `Backup not found`, `Invalid backup format`,
 * `Import failed`, `Permission denied`; and `Unauthorized`, `Bad request`, `Conflict`,
 * `Payload too large`, `Not found`, `Service unavailable`, `Internal error`).
 */
import type {FastifyError, FastifyRequest} from 'fastify';
import {describeStoreError, LifeboatError, noRoomReason, type ErrorCode} from '../core/errors.js';
import {PassphraseRequiredError} from '../core/backup/backup-source.js';
import {NeededByChainError} from '../core/backup/delete-backup.js';

export class HttpError extends Error {
	readonly status: number;
	readonly error: string;
	readonly detail?: string;
	readonly code?: string;

	constructor(status: number, error: string, detail?: string, code?: string, options?: {cause?: unknown}) {
		super(detail ? `${error}: ${detail}` : error, options);
		this.status = status;
		this.error = error;
		this.detail = detail;
		this.code = code;
	}
}

/** A request's media type (`Content-Type` without its parameters, lower case), '' if none. */
export function mediaTypeOf(request: FastifyRequest): string {
	return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The body length a request declares (`Content-Length`), 0 if none. */
export function declaredLength(request: FastifyRequest): number {
	return Number(request.headers['content-length'] ?? 0);
}

/**
 * A route's onRequest hook refusing (415), before its body is read, a body of another media type
 * than `type`: a JSON route sent multipart or text, the multipart import sent JSON.
 */
export function onlyMediaType(type: string): (request: FastifyRequest) => Promise<void> {
	return async request => {
		const given = mediaTypeOf(request);
		if (given === type) return;
		// No body at all (curl -X POST without -d): the route's defaults, not a 415.
		if (!given && request.headers['transfer-encoding'] === undefined && declaredLength(request) === 0) return;
		throw new HttpError(415, 'Unsupported media type', `the body must be ${type}${given ? `, not ${given.slice(0, 80)}` : ''}`);
	};
}

/** An export's preValidation: a POST without a body takes the route's defaults, as `{}` does. */
export async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
	request.body ??= {};
}

export const badRequest = (detail: string): HttpError => new HttpError(400, 'Bad request', detail);
export const permissionDenied = (detail: string): HttpError => new HttpError(403, 'Permission denied', detail);
export const backupNotFound = (detail?: string): HttpError => new HttpError(404, 'Backup not found', detail);

const STATUS: Partial<Record<ErrorCode, [number, string]>> = {
	usage: [400, 'Bad request'],
	'no-base': [400, 'Bad request'],
	'unknown-category': [400, 'Bad request'],
	'unknown-tenant': [400, 'Bad request'],
	'wrong-passphrase': [400, 'Bad request'],
	'passphrase-required': [400, 'Bad request'],
	'not-a-backup': [400, 'Invalid backup format'],
	'corrupt-archive': [422, 'Invalid backup format'],
	'unsafe-archive': [422, 'Invalid backup format'],
	'unsupported-version': [422, 'Invalid backup format'],
	exists: [409, 'Conflict'],
	conflict: [409, 'Conflict'],
	'gateway-locked': [503, 'Service unavailable'],
	interrupted: [503, 'Service unavailable'],
	'source-changed': [503, 'Service unavailable'],
	'disk-full': [507, 'Insufficient storage'],
};

/** An upload that found no room in the scratch folder (a full disk, a file size limit): a disk-full error (507), as a backup on a full disk is. */
export function uploadNoRoom(thrown: unknown): HttpError | undefined {
	const noRoom = noRoomReason(thrown);
	return noRoom ? toHttpError(new LifeboatError('disk-full', `the upload: ${noRoom}`, {cause: thrown})) : undefined;
}

/**
 * An engine error as an HTTP one. `failure` is the text of a 500 (`Import failed` on the import
 * routes); LifeboatErrors an operator must fix on the server side (not a gateway, a damaged
 * database, a destination problem) are 500s too, with their message as detail.
 */
export function toHttpError(thrown: unknown, failure = 'Internal error'): HttpError {
	if (thrown instanceof HttpError) return thrown;
	// A locked, damaged or full gateway database, wherever it surfaced (the tenant lookup included).
	const error = describeStoreError(thrown) ?? thrown;
	if (error instanceof LifeboatError) {
		if (error.code === 'destination' && /no such backup/.test(error.message)) return backupNotFound();
		// The engine's text names the CLI's --force and a path; the API offers neither.
		if (error instanceof NeededByChainError) return new HttpError(409, 'Conflict', `the backup ${error.problem}`, error.code);
		// The engine's text names the CLI's flags; a request gives the passphrase in its options.
		if (error instanceof PassphraseRequiredError) return new HttpError(400, 'Bad request', `${error.label} is encrypted: give its passphrase as options.passphrase`, error.code);
		const mapped = STATUS[error.code];
		// Where the engine's text names another tenant's ids, the text for clients does not.
		const detail = error.forClients ?? error.message;
		if (mapped) return new HttpError(mapped[0], mapped[1], detail, error.code);
		return new HttpError(500, failure, detail, error.code, {cause: error});
	}
	const fastify = fromFastify(error as FastifyError);
	if (fastify) return fastify;
	return new HttpError(500, failure, undefined, undefined, {cause: error});
}

const STATUS_TEXT: Record<number, string> = {400: 'Bad request', 401: 'Unauthorized', 403: 'Permission denied', 404: 'Not found', 405: 'Method not allowed', 406: 'Bad request', 413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests'};

/** Fastify's own errors (validation, body parsing, limits, multipart) as the API's JSON errors. */
function fromFastify(error: FastifyError | undefined): HttpError | undefined {
	if (!error || typeof error !== 'object') return undefined;
	const status = error.statusCode;
	if (error.validation) return new HttpError(400, 'Bad request', error.message);
	if (error.code === 'FST_REQ_FILE_TOO_LARGE') return new HttpError(413, 'Payload too large', 'the upload is larger than the limit (--upload-limit-mb)');
	// Too many parts, fields or files is a malformed import (one file and an options field), not a large one.
	if (error.code === 'FST_FILES_LIMIT' || error.code === 'FST_FIELDS_LIMIT' || error.code === 'FST_PARTS_LIMIT') return new HttpError(400, 'Bad request', `the multipart body holds more than one file and the options field (${error.message})`);
	if (status && status >= 400 && status < 500) return new HttpError(status === 406 ? 400 : status, STATUS_TEXT[status] ?? 'Bad request', error.message);
	return undefined;
}

/**
 * A detail as a client may see it: the server's own folders (the gateway, the destination, the
 * scratch root) named, not shown. Messages of the engine quote paths for the CLI's operator;
 * through the API they would tell any token holder where the server keeps its files.
 */
export function withoutServerPaths(text: string, folders: ReadonlyArray<readonly [folder: string, label: string]>): string {
	let shown = text;
	for (const [folder, label] of longestFirst(folders)) {
		if (folder.length > 1) shown = shown.replaceAll(folder, label);
	}
	return shown;
}

/**
 * An answer as a client may see it: a string that is a path in one of the server's folders (the
 * gateway folder in the metadata of a backup made here, an upload's scratch folder) with
 * the folder named by its label. Only whole paths: data that merely contains a folder's text (a
 * file `agents/a1/tmp/x`, another host's `/tmpdata`) is kept as it is. `folders` longest first.
 */
export function withoutServerPathsIn(value: unknown, folders: ReadonlyArray<readonly [folder: string, label: string]>): unknown {
	if (typeof value === 'string') return value.startsWith('/') ? serverPathLabelled(value, folders) : value;
	if (Array.isArray(value)) return value.map(item => withoutServerPathsIn(item, folders));
	if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutServerPathsIn(item, folders)]));
	}
	return value;
}

function serverPathLabelled(text: string, folders: ReadonlyArray<readonly [folder: string, label: string]>): string {
	for (const [folder, label] of folders) {
		if (folder.length > 1 && text.startsWith(folder) && (text.length === folder.length || text[folder.length] === '/')) return label + text.slice(folder.length);
	}
	return text;
}

/** The server's folders longest first, as withoutServerPathsIn takes them (a gateway inside the scratch root is named as the gateway). */
export function longestFirst(folders: ReadonlyArray<readonly [folder: string, label: string]>): Array<readonly [folder: string, label: string]> {
	return [...folders].sort((a, b) => b[0].length - a[0].length);
}

/** What a 500 is logged with: the underlying error's message (never shown to the client). */
export function causeOf(error: HttpError): string | undefined {
	const cause = error.cause;
	if (cause === undefined) return error.detail;
	return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
