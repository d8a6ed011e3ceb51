/**
 * Exports through the API: always a backup of the request's tenant, made by the same
 * createBackup the CLI's `backup create --tenant` calls.
 */
import fs from 'node:fs';
import path from 'node:path';
import {ARCHIVE_FORMATS, archiveExtension, type ArchiveFormat} from '../core/archive/archive-format.js';
import {createBackup, type BackupResult} from '../core/backup/create-backup.js';
import {LifeboatError} from '../core/errors.js';
import {categorySpec, isCategoryId, type CategoryId} from '../core/store/schema.js';
import type {RequestAuth} from './auth.js';
import {badRequest, HttpError, permissionDenied} from './http-errors.js';
import {checkRequestName} from './names.js';
import {openFolder, scratchRoot, type ServerConfig} from './server-config.js';

type TenantAuth = RequestAuth & {tenant: NonNullable<RequestAuth['tenant']>};

/** Gateway-wide categories (config, license…) hold no tenant's data alone: only an unlimited token exports them. */
function checkCategories(auth: RequestAuth, categories: readonly string[]): CategoryId[] {
	const unknown = categories.filter(category => !isCategoryId(category));
	if (unknown.length > 0) throw badRequest(`unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.slice(0, 5).join(', ')}`);
	const wide = (categories as CategoryId[]).filter(category => categorySpec(category).scope === 'gateway');
	if (wide.length > 0 && auth.token.tenants) throw permissionDenied(`${wide.join(', ')} belong${wide.length === 1 ? 's' : ''} to the whole gateway: a token limited to tenants cannot export ${wide.length === 1 ? 'it' : 'them'}`);
	return categories as CategoryId[];
}

/** What an export answers (the agentic framework's name, size and checksum, plus the scope and counts). */
export function exportAnswer(result: BackupResult, file: string) {
	const {metadata} = result;
	return {
		ok: true,
		name: result.name,
		file,
		format: result.format,
		size: result.size,
		sha256: result.sha256,
		createdAt: metadata.createdAt,
		tenant: metadata.tenant?.slug ?? null,
		categories: metadata.categories,
		counts: Object.fromEntries(Object.entries(metadata.counts).map(([category, count]) => [category, count.count])),
		encrypted: Boolean(metadata.encrypted),
	};
}

export type AgenticExportBody = {
	backup_name?: string;
	include_memory?: boolean;
	include_config?: boolean;
	include_tools?: boolean;
	include_scheduled_tasks?: boolean;
	create_zip?: boolean;
	export_path?: string;
};

/**
 * POST /backup/export: agents and workflows always; tools and scheduled tasks (cron) unless turned
 * off; memory and configuration only when asked. create_zip false writes a tar.gz (one file, so
 * it can be downloaded, listed by size and checksummed, also at a remote destination).
 */
export async function agenticExport(config: ServerConfig, auth: TenantAuth, body: AgenticExportBody) {
	const name = body.backup_name === undefined ? undefined : checkRequestName(body.backup_name, 'backup_name');
	const wanted = ['agents', 'workflows'];
	if (body.include_tools !== false) wanted.push('tools');
	if (body.include_scheduled_tasks !== false) wanted.push('cron');
	if (body.include_memory === true) wanted.push('memory');
	if (body.include_config === true) wanted.push('config');
	const categories = checkCategories(auth, wanted);
	const format: ArchiveFormat = body.create_zip === false ? 'tar.gz' : 'zip';
	const target = await openFolder(config, body.export_path);
	try {
		const where = target.location.kind === 'local' ? {destDir: target.location.folder} : {remote: {destination: target.destination}};
		const result = await createBackup({dataDir: config.dataDir, ...where, name, format, categories, tenant: auth.tenant.id, signal: config.signal}).catch((error: unknown) => Promise.reject(nameTaken(error, name, format)));
		return exportAnswer(result, path.posix.basename(result.path));
	} finally {
		await target.destination.close();
	}
}

/**
 * A name taken at the destination, whoever's backup holds it: the engine's text names the CLI's
 * --force, which the API has not, and is no place to say whose the backup is.
 */
function nameTaken(error: unknown, name: string | undefined, format: ArchiveFormat): unknown {
	if (!(error instanceof LifeboatError && error.code === 'exists')) return error;
	const file = name === undefined ? "the backup's name" : `${name}${archiveExtension(format)}`;
	return new HttpError(409, 'Conflict', `${file} is taken at the destination (every tenant's backups share its names): choose another backup_name`, error.code);
}

export type BundleExportBody = {categories?: string[]; format?: string; passphrase?: string; include_files?: boolean};

/** A private scratch folder (0700) for one request's archive. */
export function scratchDir(): string {
	return fs.mkdtempSync(path.join(scratchRoot(), 'lifeboat-serve-'));
}

/**
 * POST /backups/export: the tenant's backup written into a private scratch folder; the caller
 * streams it out and removes the folder. Any file format the CLI writes (not a folder backup).
 */
export async function bundleExport(config: ServerConfig, auth: TenantAuth, body: BundleExportBody, scratch: string) {
	const format = (body.format ?? 'zip') as ArchiveFormat;
	const fileFormats: readonly ArchiveFormat[] = ARCHIVE_FORMATS.filter(known => known !== 'dir');
	if (!fileFormats.includes(format)) throw badRequest(`format must be one of ${fileFormats.join(', ')}`);
	const categories = body.categories && body.categories.length > 0 ? checkCategories(auth, body.categories) : undefined;
	if (body.passphrase !== undefined && body.passphrase.length < 8) throw badRequest('passphrase: at least 8 characters');
	const result = await createBackup({
		dataDir: config.dataDir,
		destDir: scratch,
		format,
		categories,
		tenant: auth.tenant.id,
		passphrase: body.passphrase,
		includeFiles: body.include_files === true,
		kdfIterations: config.kdfIterations,
		signal: config.signal,
	});
	return {result, answer: exportAnswer(result, path.basename(result.path))};
}
