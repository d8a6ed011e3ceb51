/** ATLAS's routes: a tenant's backup out as a base64 bundle, and a bundle back in. */
import fs from 'node:fs';
import type {Readable} from 'node:stream';
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {ARCHIVE_FORMATS} from '../core/archive/archive-format.js';
import {RESTORE_MODES} from '../core/restore/index.js';
import {CATEGORY_IDS} from '../core/store/schema.js';
import {tenantOf} from './auth.js';
import {bundleExport, scratchDir, type BundleExportBody} from './exports.js';
import {declaredLength, HttpError, mediaTypeOf, noBodyIsEmpty, onlyMediaType, toHttpError} from './http-errors.js';
import {bundleChoice, importUpload, type BundleImportOptions} from './imports.js';
import type {Gates} from './import-lock.js';
import type {ServerConfig} from './server-config.js';
import {base64JsonStream, discardRest} from './streams.js';
import {receiveBundleBody} from './bundle-body.js';
import {cutOffOr} from './uploads.js';

const TENANT_HEADERS = {type: 'object', properties: {'x-tenant-id': {type: 'string'}, 'x-user-id': {type: 'string'}}, required: ['x-tenant-id']} as const;
const SECURITY = [{bearer: []}];

const EXPORT_BODY = {
	type: 'object',
	additionalProperties: false,
	properties: {
		categories: {type: 'array', items: {type: 'string', enum: [...CATEGORY_IDS]}, description: "Default: every tenant category"},
		format: {type: 'string', enum: ARCHIVE_FORMATS.filter(format => format !== 'dir'), default: 'zip'},
		passphrase: {type: 'string', minLength: 8, description: 'Encrypt the bundle (AES-256-GCM)'},
		include_files: {type: 'boolean', default: false, description: "format json: put documents' binary files in the bundle (base64); other formats always hold them"},
	},
} as const;

const IMPORT_BODY = {
	type: 'object',
	additionalProperties: false,
	required: ['bundle'],
	properties: {
		bundle: {type: 'string', description: "The backup, base64 (standard alphabet, padded): a Lifeboat backup, or an ATLAS export (personas and conversations; its conversations become the X-User-Id user's)"},
		options: {
			type: 'object',
			additionalProperties: false,
			properties: {
				dry_run: {type: 'boolean', default: false},
				mode: {type: 'string', enum: [...RESTORE_MODES], default: 'additive'},
				only: {type: 'array', items: {type: 'string'}},
				overwrite: {type: 'boolean', description: 'true alone means mode overwrite'},
				passphrase: {type: 'string'},
				agent: {type: 'string', description: "An ATLAS export's conversations: the agent (id or name) they are with; default the tenant's first agent"},
			},
		},
	},
} as const;

export function atlasRoutes(app: FastifyInstance, config: ServerConfig, gates: Gates): void {
	app.post('/backups/export', {config: {write: true}, onRequest: onlyMediaType('application/json'), preValidation: noBodyIsEmpty, schema: {summary: "The request's tenant as a base64 backup bundle", headers: TENANT_HEADERS, security: SECURITY, body: EXPORT_BODY}}, async (request, reply) => {
		const auth = tenantOf(request);
		const scratch = scratchDir();
		try {
			const {result, answer} = await gates.exports.run(() => bundleExport(config, auth, request.body as BundleExportBody, scratch));
			const body = base64JsonStream(answer, result.path);
			body.once('close', () => fs.rmSync(scratch, {recursive: true, force: true}));
			return reply.type('application/json; charset=utf-8').send(body);
		} catch (error) {
			fs.rmSync(scratch, {recursive: true, force: true});
			throw error;
		}
	});

	// The JSON body holds the base64 bundle: read as it arrives (bundle-body.ts), its limit the
	// upload limit's base64 length plus room for the options.
	const bodyLimit = Math.ceil(config.uploadLimit / 3) * 4 + 64 * 1024;
	const scratches = new WeakMap<object, string>();
	const releases = new WeakMap<object, () => void>();
	void app.register(async child => {
		// Only JSON: fastify's text/plain parser would buffer a body up to the route's bodyLimit
		// (~133 MiB at the default upload limit) before the schema refused it; now it is a 415 at once.
		child.removeAllContentTypeParsers();
		child.addContentTypeParser('application/json', {bodyLimit}, async (request: FastifyRequest, payload: Readable) => {
			// Answered at once: a client that declares a body this large is told before sending it
			// (curl waits for the answer with Expect: 100-continue); one that streams it anyway may
			// see the connection close first. A body refused part-way is drained first (bundle-body.ts).
			if (declaredLength(request) > bodyLimit) {
				throw new HttpError(413, 'Payload too large', `the body is larger than ${bodyLimit} bytes (4/3 of --upload-limit-mb, plus 64 KiB)`);
			}
			const scratch = scratchDir();
			scratches.set(request, scratch);
			let options: unknown;
			try {
				({options} = await receiveBundleBody(payload, scratch, config.uploadLimit, bodyLimit));
			} catch (error) {
				// A refused or cut-off body: a client that went away gets no response, so no onResponse.
				fs.rmSync(scratch, {recursive: true, force: true});
				releases.get(request)?.();
				throw cutOffOr(request, error);
			}
			// The bundle is in the scratch file now: the body the schema checks holds the options only.
			return {bundle: '', ...(options === undefined ? {} : {options})};
		});
		// The tenant's import lock is claimed before the body is read, as the multipart import's is: a
		// second upload into the tenant is refused at once, not received into scratch first. Freed by
		// the handler once the import has finished; before the handler runs (a body refused or cut
		// off, a failed schema check), when the response ends or its connection closes.
		child.addHook('preParsing', async (request, reply, payload) => {
			// A body refused whatever the lock (not JSON: 415; declared too large: 413) keeps its own answer.
			if (mediaTypeOf(request) !== 'application/json' || declaredLength(request) > bodyLimit) return payload;
			let release: () => void;
			try {
				release = gates.imports.claim(tenantOf(request).tenant.id);
			} catch (error) {
				await discardRest(payload, bodyLimit);
				throw error;
			}
			releases.set(request, release);
			// Until the handler takes the claim over (it frees it when the import has finished).
			reply.raw.once('close', () => releases.get(request)?.());
			return payload;
		});
		// Whatever happened (a refused body, a failed check), the scratch folder goes.
		child.addHook('onResponse', async request => {
			const scratch = scratches.get(request);
			if (scratch) fs.rmSync(scratch, {recursive: true, force: true});
		});
		child.post('/backups/import', {config: {write: true}, bodyLimit, schema: {summary: "Restore a base64 backup bundle into the request's tenant", headers: TENANT_HEADERS, security: SECURITY, body: IMPORT_BODY}}, async request => {
			const auth = tenantOf(request);
			const scratch = scratches.get(request)!;
			const {options} = request.body as {options?: BundleImportOptions};
			const release = releases.get(request) ?? gates.imports.claim(auth.tenant.id);
			releases.delete(request);
			try {
				return await importUpload(config, auth, scratch, bundleChoice(options), gates);
			} catch (error) {
				throw toHttpError(error, 'Import failed');
			} finally {
				fs.rmSync(scratch, {recursive: true, force: true});
				release();
			}
		});
	});
}
