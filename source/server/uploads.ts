/**
 * Uploads land in a private scratch file, the size limit enforced while the bytes arrive (never
 * after): a multipart file stream cut at the limit (busboy marks it truncated). The base64 bundles
 * of POST /backups/import are read in bundle-body.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import type {FastifyRequest} from 'fastify';
import {badRequest, HttpError, uploadNoRoom} from './http-errors.js';
import {UPLOAD_NAME} from './imports.js';

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
	} catch (error) {
		const noRoom = uploadNoRoom(error);
		if (noRoom) throw noRoom;
		const cut = cutOffOr(request, error);
		if (cut !== error) throw cut;
		// busboy's parse errors (a cut or malformed body) carry no status: the client sent them.
		if (error instanceof HttpError || (error as {statusCode?: number}).statusCode || (error as NodeJS.ErrnoException).code?.startsWith('E')) throw error;
		throw badRequest(`malformed multipart body (${(error as Error).message ?? String(error)})`);
	}
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
			await pipeline(part.file, fs.createWriteStream(path.join(scratch, UPLOAD_NAME), {flags: 'wx', mode: 0o600}));
			if (part.file.truncated) throw tooLarge(limit);
		} else if (part.fieldname === 'options') {
			if (part.valueTruncated) throw badRequest('the options field is too long');
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
