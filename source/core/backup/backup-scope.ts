import type {BackupMetadata} from '../archive/archive-format.js';
import {LifeboatError} from '../errors.js';

/**
 * The tenants a backup's rows may belong to, which are also the tenants a replace restore wipes.
 * metadata.json is untrusted: a one-tenant backup (metadata.tenant set) covers exactly that
 * tenant whatever `tenants` lists, and must list it there; every tenant id must be text.
 */
export function backupTenants(metadata: BackupMetadata): BackupMetadata['tenants'] {
	const unsafe = (message: string) => new LifeboatError('unsafe-archive', `metadata.json: ${message}; nothing was restored`);
	const valid = (tenant: unknown): tenant is BackupMetadata['tenants'][number] => {
		const candidate = tenant as {id?: unknown; slug?: unknown; name?: unknown} | null;
		return Boolean(candidate) && typeof candidate === 'object' && typeof candidate!.id === 'string' && typeof candidate!.slug === 'string' && typeof candidate!.name === 'string';
	};
	if (!Array.isArray(metadata.tenants) || !metadata.tenants.every(valid)) throw unsafe('tenants must be a list of tenants with text ids');
	if (metadata.tenant === null || metadata.tenant === undefined) return metadata.tenants;
	if (!valid(metadata.tenant)) throw unsafe('tenant is malformed or its id is not a valid id');
	const own = metadata.tenants.filter(tenant => tenant.id === metadata.tenant!.id);
	if (own.length === 0) throw unsafe(`tenant ${metadata.tenant.id} is not among the tenants it lists`);
	return [own[0]!];
}
