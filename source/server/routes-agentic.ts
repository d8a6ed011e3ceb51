/** The agentic framework's routes (its backup & restore API), over the server's destination. */
import fs from 'node:fs';
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import {deleteBackup} from '../core/backup/delete-backup.js';
import {listingJson} from '../core/backup/list-json.js';
import {tenantOf} from './auth.js';
import {agenticExport, scratchDir, type AgenticExportBody} from './exports.js';
import {HttpError, noBodyIsEmpty, onlyMediaType, toHttpError} from './http-errors.js';
import {agenticChoice, importUpload} from './imports.js';
import type {Gates} from './import-lock.js';
import {BACKUP_NAME_MAX, checkRequestName} from './names.js';
import {openFolder, type ServerConfig} from './server-config.js';
import {firstBytes, parseRange} from './streams.js';
import {receiveMultipart} from './uploads.js';
import {findVisible, visibleBackups} from './visible-backups.js';

const TENANT_HEADERS = {
	type: 'object',
	properties: {'x-tenant-id': {type: 'string', description: 'Tenant id or slug the request acts for (required)'}, 'x-user-id': {type: 'string', description: 'User, recorded in the access log'}},
	required: ['x-tenant-id'],
} as const;
const SECURITY = [{bearer: []}];
const NAME_PARAMS = {type: 'object', properties: {name: {type: 'string', description: 'Backup file name or name'}}, required: ['name']} as const;
const EXPORT_PATH_QUERY = {type: 'object', properties: {export_path: {type: 'string', description: 'Sub-folder of the destination (local destinations)'}}, additionalProperties: false} as const;

const EXPORT_BODY = {
	type: 'object',
	additionalProperties: false,
	properties: {
		backup_name: {type: 'string', description: 'Name (default lifeboat-backup-YYYYMMDD-HHMMSS)'},
		include_memory: {type: 'boolean', default: false},
		include_config: {type: 'boolean', default: false, description: 'Gateway configuration: tokens without a tenants= limit only'},
		include_tools: {type: 'boolean', default: true},
		include_scheduled_tasks: {type: 'boolean', default: true},
		create_zip: {type: 'boolean', default: true, description: 'false writes a tar.gz'},
		export_path: {type: 'string', description: 'Sub-folder of the destination (one name, local destinations)'},
	},
} as const;

export function agenticRoutes(app: FastifyInstance, config: ServerConfig, gates: Gates): void {
	app.post('/backup/export', {config: {write: true}, onRequest: onlyMediaType('application/json'), preValidation: noBodyIsEmpty, schema: {summary: "Back up the request's tenant to the destination", headers: TENANT_HEADERS, security: SECURITY, body: EXPORT_BODY}}, async request => {
		const auth = tenantOf(request);
		return gates.exports.run(() => agenticExport(config, auth, request.body as AgenticExportBody));
	});

	app.get('/backup/list', {schema: {summary: 'The backups the tenant sees (newest first)', headers: TENANT_HEADERS, security: SECURITY, querystring: EXPORT_PATH_QUERY}}, async request => {
		const auth = tenantOf(request);
		const target = await openFolder(config, (request.query as {export_path?: string}).export_path);
		try {
			const {visible, all} = await visibleBackups(target.destination, auth);
			// The server hides its folders: no digest of its host name and data folder either.
			return {ok: true, backups: visible.map(listing => ({...listingJson(listing, all), path: undefined, gateway: undefined, file: listing.fileName}))};
		} finally {
			await target.destination.close();
		}
	});

	app.get('/backup/download/:name', {schema: {summary: 'Download one backup (Range supported)', headers: TENANT_HEADERS, security: SECURITY, params: NAME_PARAMS, querystring: EXPORT_PATH_QUERY}}, async (request, reply) => download(config, request, reply));

	app.delete('/backup/delete/:name', {config: {write: true}, schema: {summary: 'Delete one backup', headers: TENANT_HEADERS, security: SECURITY, params: NAME_PARAMS, querystring: EXPORT_PATH_QUERY}}, async request => {
		const auth = tenantOf(request);
		const name = checkRequestName((request.params as {name: string}).name, 'name', BACKUP_NAME_MAX);
		const target = await openFolder(config, (request.query as {export_path?: string}).export_path);
		try {
			const listing = await findVisible(target.destination, auth, name);
			const deleted = await deleteBackup(target.destination, listing.fileName, {signal: config.signal});
			return {ok: true, deleted: listing.fileName, size: deleted.size};
		} finally {
			await target.destination.close();
		}
	});

	app.post('/backup/import', {config: {write: true}, onRequest: onlyMediaType('multipart/form-data'), schema: {summary: "Restore an uploaded backup into the request's tenant (multipart: file + options JSON)", headers: TENANT_HEADERS, security: SECURITY, consumes: ['multipart/form-data']}}, async request => {
		const auth = tenantOf(request);
		const release = gates.imports.claim(auth.tenant.id);
		const scratch = scratchDir();
		try {
			const {options} = await receiveMultipart(request, scratch, config.uploadLimit);
			return await importUpload(config, auth, scratch, agenticChoice(options), gates);
		} catch (error) {
			throw toHttpError(error, 'Import failed');
		} finally {
			fs.rmSync(scratch, {recursive: true, force: true});
			release();
		}
	});
}

const CONTENT_TYPES: Record<string, string> = {zip: 'application/zip', 'tar.gz': 'application/gzip', 'tar.zst': 'application/zstd'};

async function download(config: ServerConfig, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
	const auth = tenantOf(request);
	const name = checkRequestName((request.params as {name: string}).name, 'name', BACKUP_NAME_MAX);
	const target = await openFolder(config, (request.query as {export_path?: string}).export_path);
	let handedOff = false;
	try {
		const listing = await findVisible(target.destination, auth, name);
		const stat = await target.destination.stat(listing.fileName);
		if (!stat) throw new HttpError(404, 'Backup not found');
		if (stat.folder) throw new HttpError(409, 'Conflict', 'a folder backup cannot be downloaded as one file; export with create_zip (or lifeboat backup create --format zip)');
		const range = parseRange(request.headers.range, stat.size);
		reply.header('Accept-Ranges', 'bytes');
		if (range === 'unsatisfiable') {
			reply.header('Content-Range', `bytes */${stat.size}`);
			throw new HttpError(416, 'Range not satisfiable', `the backup is ${stat.size} bytes`);
		}
		const start = range?.start ?? 0;
		const length = range ? range.end - range.start + 1 : stat.size;
		const source = await target.destination.read(listing.fileName, {offset: start, signal: config.signal});
		const body = firstBytes(source, length);
		body.once('close', () => void target.destination.close());
		handedOff = true;
		if (range) reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`);
		reply.header('Content-Length', String(length));
		reply.header('Content-Type', CONTENT_TYPES[listing.format] ?? 'application/octet-stream');
		reply.header('Content-Disposition', `attachment; filename="${listing.fileName.replace(/[^A-Za-z0-9._+-]/g, '_')}"`);
		return reply.send(body);
	} finally {
		if (!handedOff) await target.destination.close();
	}
}
