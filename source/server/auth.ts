/**
 * Who a request acts for. Every route but /healthz needs `Authorization: Bearer TOKEN`; the
 * backup routes also need `X-Tenant-Id` (a tenant id or slug of the gateway: without it, 401, as
 * ATLAS rejects a request context without a tenant), and a token limited to other tenants gets 403.
 * `X-User-Id` is recorded with the request (access log), never trusted for access; an imported
 * ATLAS export's conversations become that user's (it must be a user of the request's tenant).
 */
import type {FastifyReply, FastifyRequest} from 'fastify';
import {openGateway, findTenant, type TenantSummary} from '../core/store/gateway-store.js';
import {LifeboatError} from '../core/errors.js';
import {HttpError, permissionDenied} from './http-errors.js';
import {findToken, type ApiToken} from './tokens.js';
import type {ServerConfig} from './server-config.js';

export type RequestAuth = {token: ApiToken; tenant?: TenantSummary; user?: string};

export type Access = 'public' | 'token' | 'tenant';

declare module 'fastify' {
	interface FastifyRequest {
		lifeboat?: RequestAuth;
	}
	interface FastifyContextConfig {
		/** Who may call the route (default 'tenant'). */
		access?: Access;
		/** The route writes (export, import, delete): refused to read-only tokens. */
		write?: boolean;
	}
}

const unauthorized = (detail: string): HttpError => new HttpError(401, 'Unauthorized', detail);

function header(request: FastifyRequest, name: string): string | undefined {
	const value = request.headers[name];
	return typeof value === 'string' ? value.trim() : undefined;
}

function lookupTenant(config: ServerConfig, wanted: string): TenantSummary | undefined {
	const store = openGateway(config.dataDir, {readonly: true});
	try {
		return findTenant(store, wanted);
	} catch (error) {
		// An ambiguous name: ids and slugs are unique, so the caller should pass one of those.
		if (error instanceof LifeboatError && error.code === 'usage') return undefined;
		throw error;
	} finally {
		store.close();
	}
}

/** The onRequest hook: runs before any body is read, so an unauthorised upload is never stored. */
export function authenticate(config: ServerConfig) {
	return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
		const access = request.routeOptions.config?.access ?? 'tenant';
		if (access === 'public') return;
		const token = findToken(config.tokens, request.headers.authorization);
		if (!token) throw unauthorized(request.headers.authorization ? 'unknown token' : 'send Authorization: Bearer TOKEN');
		const user = header(request, 'x-user-id')?.slice(0, 200);
		request.lifeboat = {token, user};
		if (access !== 'tenant') return;
		const wanted = header(request, 'x-tenant-id');
		if (!wanted) throw unauthorized('send X-Tenant-Id: the tenant id or slug the request acts for');
		if (wanted.length > 200) throw permissionDenied('unknown tenant');
		const tenant = lookupTenant(config, wanted);
		// The same answer for a tenant that does not exist and one the token may not act for.
		if (!tenant || (token.tenants && !token.tenants.some(allowed => allowed === tenant.id || allowed === tenant.slug))) {
			throw permissionDenied(`this token may not act for tenant ${JSON.stringify(wanted.slice(0, 64))}`);
		}
		request.lifeboat.tenant = tenant;
		if (request.routeOptions.config?.write && token.readOnly) throw permissionDenied('this token is read-only');
	};
}

/** The authenticated tenant of a tenant route (set by the hook). */
export function tenantOf(request: FastifyRequest): Required<Pick<RequestAuth, 'tenant'>> & RequestAuth {
	const auth = request.lifeboat;
	if (!auth?.tenant) throw unauthorized('no tenant');
	return auth as Required<Pick<RequestAuth, 'tenant'>> & RequestAuth;
}
