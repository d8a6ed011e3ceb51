import fs from 'node:fs';
import {MANIFEST_PATH, type BackupManifest, type BackupMetadata} from '../archive/archive-format.js';
import {openArchive} from '../archive/archive-reader.js';
import {backupTenants} from '../backup/backup-scope.js';
import {parseManifest, readMetadata} from '../backup/read-metadata.js';
import {LifeboatError} from '../errors.js';
import {findTenant, type GatewayStore, type TenantSummary} from '../store/gateway-store.js';
import {CATEGORY_IDS, categorySpec, isCategoryId, type CategoryId} from '../store/schema.js';
import {IDENTITY_MAPPER, newTenantId, tenantMapper, type IdMapper} from './id-map.js';
import {RESTORE_MODES, type RestoreMode, type RestoreOptions, type RestorePlan} from './restore-types.js';

/** Everything a restore pass needs to know, resolved once from the options, backup and store. */
export type RestoreContext = {
	store: GatewayStore;
	options: RestoreOptions;
	metadata: BackupMetadata;
	mode: RestoreMode;
	categories: CategoryId[];
	mapper: IdMapper;
	/** Tenant ids in the backup (rows of other tenants are refused). */
	backupTenantIds: Set<string>;
	/** Tenants the restore touches; replace wipes their rows in the selected categories. */
	scopeTenantIds: string[];
	targetTenant: RestorePlan['targetTenant'];
	/** Set when --into-tenant names another tenant than the backup's: tenants rows are not restored. */
	intoTenant: {id: string; slug: string; name: string; exists: boolean} | null;
	warnings: string[];
};

export function slugify(text: string): string {
	return text
		.toLowerCase()
		.normalize('NFKD')
		// Accents become combining marks under NFKD: drop them ("Société" → "societe").
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');
}

/** Whether any tenant already has this id or slug (a new tenant must not share either). */
function tenantClash(store: GatewayStore, id: string, slug: string): TenantSummary | undefined {
	return store.db.prepare(`SELECT id, name, slug FROM tenants WHERE id = ? OR slug = ? ORDER BY id LIMIT 1`).get(id, slug) as TenantSummary | undefined;
}

function tenantById(store: GatewayStore, id: string): TenantSummary | undefined {
	return store.db.prepare(`SELECT id, name, slug FROM tenants WHERE id = ?`).get(id) as TenantSummary | undefined;
}

/** Parses --only against the backup: unknown names and categories the backup lacks are errors. */
export function resolveOnly(only: readonly string[] | undefined, metadata: BackupMetadata): CategoryId[] {
	if (!only || only.length === 0) return CATEGORY_IDS.filter(id => metadata.categories.includes(id));
	const unknown = only.filter(name => !isCategoryId(name));
	if (unknown.length > 0) {
		throw new LifeboatError('unknown-category', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (known: ${CATEGORY_IDS.join(', ')})`);
	}
	const missing = only.filter(name => !metadata.categories.includes(name as CategoryId));
	if (missing.length > 0) {
		throw new LifeboatError('unknown-category', `Categor${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')} not in this backup (it holds: ${metadata.categories.join(', ')})`);
	}
	return CATEGORY_IDS.filter(id => only.includes(id));
}

export async function readManifestUpFront(options: RestoreOptions): Promise<BackupManifest | undefined> {
	const reader = openArchive(options.source);
	if (!reader.readEntry) return undefined;
	const text = await reader.readEntry(MANIFEST_PATH);
	if (!text) throw new LifeboatError('corrupt-archive', 'manifest.json: missing (the backup was not finished or was cut short)');
	return parseManifest(text);
}

export async function resolveContext(options: RestoreOptions, store: GatewayStore, metadata?: BackupMetadata): Promise<RestoreContext> {
	const mode = options.mode ?? 'additive';
	if (!RESTORE_MODES.includes(mode)) throw new LifeboatError('usage', `Unknown restore mode "${String(mode)}" (use ${RESTORE_MODES.join(', ')})`);
	if (options.keyFile !== undefined && !fs.statSync(options.keyFile, {throwIfNoEntry: false})?.isFile()) {
		throw new LifeboatError('usage', `--key-file ${options.keyFile}: no such file`);
	}
	metadata ??= await readMetadata(options.source);
	const categories = resolveOnly(options.only, metadata);
	const tenantScoped = categories.some(id => categorySpec(id).scope === 'tenant');
	const tenants = backupTenants(metadata);
	let backupTenantIds = new Set(tenants.map(tenant => tenant.id));
	const warnings: string[] = [];
	const omitted = metadata.omittedDocumentFiles;
	if (omitted && categories.includes('documents')) {
		warnings.push(`document files were not included in this JSON bundle (${omitted.files} files; made without --include-files): the document rows are restored without them, and live document files are left alone`);
	}
	let mapper = IDENTITY_MAPPER;
	let scopeTenantIds = tenants.map(tenant => tenant.id);
	let targetTenant: RestorePlan['targetTenant'] = null;
	let intoTenant: RestoreContext['intoTenant'] = null;

	if (options.intoTenant !== undefined) {
		const wanted = options.intoTenant.trim();
		if (!wanted) throw new LifeboatError('usage', '--into-tenant needs a tenant id, slug or name');
		if (tenants.length !== 1) {
			throw new LifeboatError('usage', `--into-tenant needs a backup of one tenant; this one holds ${tenants.length} (make one with: lifeboat backup create --tenant SLUG)`);
		}
		const source = tenants[0]!;
		backupTenantIds = new Set([source.id]);
		const found = findTenant(store, wanted);
		if (found) {
			targetTenant = {...found, exists: true};
		} else {
			if (mode === 'replace') {
				throw new LifeboatError('unknown-tenant', `Tenant "${wanted}" does not exist; replace mode only replaces an existing tenant's data (restore additively to create it)`);
			}
			const slug = slugify(wanted);
			if (!slug) throw new LifeboatError('usage', `--into-tenant "${wanted}" has no letters or digits to make a tenant slug from`);
			const id = newTenantId(slug);
			const clash = tenantClash(store, id, slug);
			if (clash) throw new LifeboatError('conflict', `Tenant "${wanted}" would collide with existing tenant ${clash.slug} (${clash.id}); pass that tenant's slug to restore into it`);
			targetTenant = {id, slug, name: wanted, exists: false};
		}
		if (targetTenant.id === source.id) {
			warnings.push(`--into-tenant ${wanted} is the tenant the backup came from: ids are kept`);
		} else {
			mapper = tenantMapper(source.id, targetTenant.id);
			intoTenant = targetTenant;
		}
		scopeTenantIds = [targetTenant.id];
	} else {
		// An orphan tenant (rows without a tenants row) has no row to restore: it is never 'missing'.
		const missing = tenants.filter(tenant => !tenant.orphan && !tenantById(store, tenant.id));
		if (tenantScoped && missing.length > 0 && !categories.includes('users')) {
			throw new LifeboatError(
				'unknown-tenant',
				`Tenant ${missing.map(tenant => tenant.slug).join(', ')} is not on this gateway; include the users category (it holds the tenant) or restore into an existing tenant with --into-tenant`,
			);
		}
		if (metadata.tenant) targetTenant = {...metadata.tenant, exists: !missing.some(tenant => tenant.id === metadata!.tenant!.id)};
	}
	return {
		store,
		options,
		metadata,
		mode,
		categories,
		mapper,
		backupTenantIds,
		scopeTenantIds,
		targetTenant,
		intoTenant,
		warnings,
	};
}
