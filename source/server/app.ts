/**
 * `lifeboat serve`'s HTTP server: a thin layer over the engine (the same core functions the CLI
 * calls). Routes: /healthz (public), /openapi.json (token), the agentic framework's /backup/…
 * and ATLAS's /backups/… (token + tenant). Every error is JSON (http-errors.ts); one access-log
 * line per request (method, route, status, ms, tenant, log id: no bodies, no tokens).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import Fastify, {type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import {TOOL_VERSION} from '../core/version.js';
import {authenticate} from './auth.js';
import {causeOf, longestFirst, toHttpError, withoutServerPaths, withoutServerPathsIn} from './http-errors.js';
import {ImportLock, Slots} from './import-lock.js';
import {agenticRoutes} from './routes-agentic.js';
import {atlasRoutes} from './routes-atlas.js';
import {serverFolders, type ServerConfig} from './server-config.js';

/** Longest path parameter routed (fastify's default is 100): a 200-character name and its extension pass. */
const MAX_PARAM_LENGTH = 512;

export type {ServerConfig} from './server-config.js';

export type ServerOptions = {
	https?: {cert: Buffer; key: Buffer};
	/** Time a client has to send a whole request, body included (default 300 s); then 408 and the connection is closed. */
	requestTimeoutMs?: number;
};

export async function buildServer(config: ServerConfig, options: ServerOptions = {}): Promise<FastifyInstance> {
	// Node's requestTimeout (fastify turns it off by default): a request body that never ends
	// (a stalled upload holding its tenant's import lock) is cut off. It covers receiving the
	// request only: a long export or restore is not timed out. Checked every second; Node applies
	// it only when the headers' own timeout (60 s) is no longer than it.
	const requestTimeout = options.requestTimeoutMs ?? 300_000;
	const checking = {connectionsCheckingInterval: Math.min(1000, requestTimeout), headersTimeout: Math.min(60_000, requestTimeout)};
	const common = {
		logger: false,
		requestTimeout,
		genReqId: () => crypto.randomBytes(6).toString('hex'),
		bodyLimit: 1024 * 1024,
		return503OnClosing: true,
		// A backup name is at most 200 characters plus its extension: every one reaches its route.
		// HEAD is not served (but for /healthz): fastify's own HEAD of a download would read the whole backup.
		routerOptions: {maxParamLength: MAX_PARAM_LENGTH},
		exposeHeadRoutes: false,
		// A URL the router refuses (bad percent-encoding, a name past MAX_PARAM_LENGTH) is a 400 in the API's own JSON.
		frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) =>
			reply.code(400).type('application/json; charset=utf-8').send({error: 'Bad request', detail: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a name in the URL is longer than ${MAX_PARAM_LENGTH} characters` : 'the URL is not valid percent-encoding'}),
		ajv: {customOptions: {coerceTypes: false, removeAdditional: false, allErrors: false}},
	};
	const app = (options.https ? Fastify({...common, https: {...options.https, ...checking}}) : Fastify({...common, http: checking})) as unknown as FastifyInstance;
	await app.register(swagger, {
		openapi: {
			info: {title: 'Lifeboat API', version: TOOL_VERSION, description: 'Backup and restore of one gateway, per tenant (lifeboat serve).'},
			components: {securitySchemes: {bearer: {type: 'http', scheme: 'bearer'}}},
		},
	});
	await app.register(multipart, {throwFileSizeLimit: true});
	// ATLAS exports are parsed whole to be converted (16 MiB at most, a few hundred MB of memory at
	// the limit): one conversion at a time, whichever tenant.
	const gates = {imports: new ImportLock(), exports: new Slots(config.exportsAtOnce ?? Math.min(16, Math.max(4, 4 * os.availableParallelism()))), conversions: new Slots(1)};
	// The access line is written when the response closes: also for a request the client gave up
	// on (an upload cut off, a download not read to its end), which fastify's onResponse misses.
	const open = new Set<FastifyRequest>();
	app.addHook('onRequest', async (request, reply) => {
		const began = process.hrtime.bigint();
		open.add(request);
		reply.raw.once('close', () => {
			open.delete(request);
			const ms = Number((process.hrtime.bigint() - began) / 1000n) / 1000;
			const aborted = !reply.raw.writableFinished;
			config.log({time: new Date().toISOString(), log_id: request.id, method: request.method, route: request.routeOptions.url ?? null, status: reply.raw.headersSent ? reply.statusCode : null, ms, tenant: request.lifeboat?.tenant?.id ?? null, user: request.lifeboat?.user ?? null, ...(aborted ? {aborted} : {})});
		});
	});
	app.addHook('onRequest', authenticate(config));
	// Stopping (the shutdown's grace period over): a request still arriving (an upload that
	// stalled) is cut off, so it cannot hold the shutdown; requests being answered finish.
	config.signal?.addEventListener('abort', () => {
		for (const request of open) if (!request.raw.complete) request.raw.socket?.destroy();
	}, {once: true});
	// On shutdown, a response still being made closes its connection (a kept-alive one would
	// otherwise hold the close up to its keep-alive timeout); idle ones are closed by fastify.
	let closing = false;
	app.addHook('preClose', async () => void (closing = true));
	app.addHook('onSend', async (_request, reply) => void (closing && reply.header('Connection', 'close')));
	const folders = serverFolders(config);
	// Answers name the server's folders as error details do (the gateway folder in the metadata of
	// a backup made here, the scratch folder an upload was read from): by label, never by path.
	const byLength = longestFirst(folders);
	app.addHook('preSerialization', async (_request, _reply, payload) => withoutServerPathsIn(payload, byLength));
	app.setErrorHandler(async (error: FastifyError, request, reply) => {
		const http = toHttpError(error);
		const detail = http.detail && withoutServerPaths(http.detail, folders);
		if (http.status >= 500) config.log({time: new Date().toISOString(), level: 'error', log_id: request.id, route: request.routeOptions.url ?? null, error: causeOf(http) ?? null, code: http.code ?? null});
		if (http.status === 401) reply.header('WWW-Authenticate', 'Bearer');
		return reply.code(http.status).type('application/json; charset=utf-8').send({error: http.error, ...(detail ? {detail} : {}), ...(http.code ? {code: http.code} : {}), ...(http.status >= 500 ? {log_id: request.id} : {})});
	});
	app.setNotFoundHandler({preHandler: undefined}, async (_request, reply) => reply.code(404).send({error: 'Not found'}));

	// HEAD too (uptime monitors use it), though no other route has one.
	app.get('/healthz', {exposeHeadRoute: true, config: {access: 'public'}, schema: {summary: 'Liveness (no token needed)'}}, async () => ({ok: true, version: TOOL_VERSION, gateway: fs.existsSync(config.dataDir)}));
	app.get('/openapi.json', {config: {access: 'token'}, schema: {summary: 'This API as OpenAPI 3', security: [{bearer: []}]}}, async () => app.swagger());
	agenticRoutes(app, config, gates);
	atlasRoutes(app, config, gates);
	return app;
}
