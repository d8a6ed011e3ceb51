/**
 * Uploads land in a private scratch file, the size limit enforced while the bytes arrive (never
 * after): a multipart file stream cut at the limit (busboy marks it truncated). The base64 bundles
 * of POST /backups/import are read in bundle-body.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import type {FastifyRequest} from 'fastify';
import {badRequest, HttpError, uploadNoRoom} from './http-errors.js';
import {UPLOAD_NAME} from './imports.js';
import {discardRest} from './streams.js';

/** An upload whose connection closed before its end (a client gone, or too slow: --request-timeout-s). */
export const cutOff = (): HttpError => badRequest('the upload was cut off before its end (the connection closed)');

/**
 * `error`, or cutOff() when the client went away (or was cut off by the request timeout) while its
 * body was read: not a failure of the server. A body read to its end is destroyed too, so
 * `complete` tells a cut one apart; an HttpError is the server's own answer and stays.
 */
export function cutOffOr(request: FastifyRequest, error: unknown): unknown {
	return request.raw.destroyed && !request.raw.complete && !(error instanceof HttpError) ? cutOff() : error;
}

export const tooLarge = (limit: number): HttpError => new HttpError(413, 'Payload too large', `the upload is larger than the limit of ${limit} bytes (--upload-limit-mb)`);

/** Reads `file` (streamed to scratch/upload) and the `options` JSON field of a multipart import. */
export async function receiveMultipart(request: FastifyRequest, scratch: string, limit: number): Promise<{options: Record<string, unknown>}> {
	try {
		return await readParts(request, scratch, limit);
	} catch (thrown) {
		const error = await refusedWhileSending(request, thrown);
		const noRoom = uploadNoRoom(error);
		if (noRoom) throw noRoom;
		const cut = cutOffOr(request, error);
		if (cut !== error) throw cut;
		// busboy's parse errors (a cut or malformed body) carry no status: the client sent them.
		if (error instanceof HttpError || (error as {statusCode?: number}).statusCode || (error as NodeJS.ErrnoException).code?.startsWith('E')) throw error;
		throw badRequest(`malformed multipart body (${(error as Error).message ?? String(error)})`);
	}
}

/**
 * A file cut at the limit while the client may still be sending: the rest of the body is read and
 * dropped, bounded (discardRest), before the 413 goes out. Other refusals (a second file or
 * options field) leave the body to the multipart parser, which reads it to its end as before.
 */
async function refusedWhileSending(request: FastifyRequest, error: unknown): Promise<unknown> {
	if (!(error instanceof HttpError && error.status === 413)) return error;
	// The multipart parser stops reading here (it would hold the body back for parts nobody reads).
	request.raw.unpipe();
	await discardRest(request.raw);
	return error;
}

/**
 * The file part to `target`, cut the moment it passes the limit: busboy would otherwise read and
 * drop the rest of the part (gigabytes, until the request timeout) before saying it was truncated.
 */
async function receiveFile(file: Readable & {truncated?: boolean}, target: string, limit: number): Promise<void> {
	const cut = new AbortController();
	const onLimit = () => cut.abort();
	file.once('limit', onLimit);
	try {
		await pipeline(file, fs.createWriteStream(target, {flags: 'wx', mode: 0o600}), {signal: cut.signal});
	} catch (error) {
		if (cut.signal.aborted) throw tooLarge(limit);
		throw error;
	} finally {
		file.off('limit', onLimit);
	}
	if (file.truncated) throw tooLarge(limit);
}

async function readParts(request: FastifyRequest, scratch: string, limit: number): Promise<{options: Record<string, unknown>}> {
	if (!request.isMultipart()) throw badRequest('send multipart/form-data with a file field "file" and an optional JSON field "options"');
	let optionsText: string | undefined;
	let gotFile = false;
	const parts = request.parts({limits: {fileSize: limit, files: 1, fields: 4, fieldSize: 64 * 1024, parts: 5, headerPairs: 100}});
	for await (const part of parts) {
		if (part.type === 'file') {
			if (part.fieldname !== 'file' || gotFile) {
				part.file.resume();
				throw badRequest(`unexpected file field ${JSON.stringify(part.fieldname.slice(0, 40))}: send one file as "file"`);
			}
			gotFile = true;
			await receiveFile(part.file, path.join(scratch, UPLOAD_NAME), limit);
		} else if (part.fieldname === 'options') {
			if (part.valueTruncated) throw badRequest('the options field is too long');
			// A second options field would silently win over the first (a dry run becoming a real import).
			if (optionsText !== undefined) throw badRequest('the options field is given twice: send it once');
			optionsText = String(part.value);
		} else {
			throw badRequest(`unexpected field ${JSON.stringify(part.fieldname.slice(0, 40))} (send "file" and "options")`);
		}
	}
	if (!gotFile) throw badRequest('no file: send the backup as the multipart field "file"');
	if (optionsText === undefined || optionsText.trim() === '') return {options: {}};
	let options: unknown;
	try {
		options = JSON.parse(optionsText);
	} catch {
		throw badRequest('the options field is not valid JSON');
	}
	if (typeof options !== 'object' || options === null || Array.isArray(options)) throw badRequest('the options field must be a JSON object');
	return {options: options as Record<string, unknown>};
}
