/**
 * Imports through the API: an uploaded backup (a multipart file or a base64 bundle) lands in a
 * private scratch file, is opened like any backup (verified before anything is written, by the
 * same planRestore/applyRestore the CLI's `backup restore` calls) and restored into the
 * request's tenant (`--into-tenant` semantics: ids are remapped when the backup came from another
 * tenant). Only one-tenant backups are imported, and only tenant categories.
 */
import fs from 'node:fs';
import path from 'node:path';
import {convertAtlasExport} from '../core/atlas/atlas-import.js';
import {looksLikeJsonObject} from '../core/atlas/atlas-shape.js';
import {LifeboatError} from '../core/errors.js';
import {openBackupChain} from '../core/backup/backup-chain.js';
import {PassphraseRequiredError} from '../core/backup/backup-source.js';
import {isLifeboatBackup} from '../core/backup/backup-sniff.js';
import {readMetadata} from '../core/backup/read-metadata.js';
import {isStoredBackupEncrypted, type StoredBackupRef} from '../core/backup/stored-backup.js';
import {openLocalDestination} from '../core/destinations/local.js';
import {applyRestore, planRestore, RESTORE_MODES, type RestoreMode, type RestoreOptions} from '../core/restore/index.js';
import {planReport, resultReport} from '../core/restore/restore-report.js';
import {categorySpec, isCategoryId, type CategoryId} from '../core/store/schema.js';
import type {BackupMetadata} from '../core/archive/archive-format.js';
import type {RequestAuth} from './auth.js';
import {badRequest, HttpError, permissionDenied} from './http-errors.js';
import type {Gates} from './import-lock.js';
import type {ServerConfig} from './server-config.js';

export const UPLOAD_NAME = 'upload';

export type ImportChoice = {
	mode: RestoreMode;
	/** Categories asked for; undefined = every tenant category of the backup. */
	only?: string[];
	/** Agentic flags: leave out categories the backup lacks instead of refusing. */
	onlyIfPresent?: boolean;
	dryRun: boolean;
	passphrase?: string;
	/** An ATLAS export's conversations: the agent (id or name) they are with. */
	agent?: string;
};

const invalidFormat = (detail: string): HttpError => new HttpError(400, 'Invalid backup format', detail);

/**
 * Categories a token limited to tenants does not import: accounts (users with their password
 * hashes, roles and 2FA) would let it add or replace the people who sign in, and the audit log
 * would let it write the record of what it did. A token for every tenant (the operator's) may.
 */
const OPERATOR_ONLY: readonly CategoryId[] = ['users', 'audit'];

function tenantCategories(metadata: BackupMetadata, choice: ImportChoice, auth: RequestAuth): CategoryId[] {
	const limited = auth.token.tenants !== undefined;
	const held = metadata.categories.filter(category => categorySpec(category).scope === 'tenant' && !(limited && OPERATOR_ONLY.includes(category)));
	if (!choice.only) {
		if (held.length === 0) throw badRequest(`the backup holds no category this token may import (it holds: ${metadata.categories.join(', ') || 'none'})`);
		return held;
	}
	const refused = limited ? choice.only.filter(category => (OPERATOR_ONLY as readonly string[]).includes(category)) : [];
	if (refused.length > 0) throw permissionDenied(`${refused.join(', ')}: a token limited to tenants cannot import accounts or the audit log (an operator's token for every tenant can)`);
	const unknown = choice.only.filter(category => !isCategoryId(category));
	if (unknown.length > 0) throw badRequest(`unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.slice(0, 5).join(', ')}`);
	const wide = (choice.only as CategoryId[]).filter(category => categorySpec(category).scope === 'gateway');
	if (wide.length > 0) throw badRequest(`${wide.join(', ')} belong${wide.length === 1 ? 's' : ''} to the whole gateway: the API imports tenant data only`);
	const only = choice.onlyIfPresent ? (choice.only as CategoryId[]).filter(category => held.includes(category)) : (choice.only as CategoryId[]);
	if (only.length === 0) throw badRequest(`the backup holds none of the categories asked for (it holds: ${held.join(', ') || 'none'})`);
	return only;
}

/** Messages quote the scratch file's path: the client named no such path, so it reads "upload". */
function withoutScratch(error: unknown, scratch: string): unknown {
	const hidden = (text: string) => text.replaceAll(path.join(scratch, UPLOAD_NAME), UPLOAD_NAME).replaceAll(scratch, '.');
	if (error instanceof Error && error.message.includes(scratch)) error.message = hidden(error.message);
	// Its HTTP message is worded from the label (http-errors.ts), not from the CLI's message.
	if (error instanceof PassphraseRequiredError) error.label = hidden(error.label);
	return error;
}

/**
 * An ATLAS export (personas, conversations): converted in the scratch folder into a Lifeboat JSON
 * bundle of the tenant's chats (core/atlas), whose name is returned; conversations become the
 * X-User-Id user's, with options.agent or the tenant's first agent.
 */
async function atlasUpload(config: ServerConfig, auth: RequestAuth & {tenant: NonNullable<RequestAuth['tenant']>}, scratch: string, choice: ImportChoice): Promise<string> {
	try {
		const conversion = await convertAtlasExport(path.join(scratch, UPLOAD_NAME), 'the bundle', {dataDir: config.dataDir, tenant: auth.tenant.id, user: auth.user, agent: choice.agent}, scratch);
		return path.basename(conversion.file);
	} catch (error) {
		if (error instanceof LifeboatError && error.code === 'usage') throw badRequest(error.message.replace('(CLI --as-user, HTTP X-User-Id:', '(the X-User-Id header:'));
		throw error;
	}
}

/** Restores the backup at scratch/upload into the request's tenant (plan only on a dry run). */
export async function importUpload(config: ServerConfig, auth: RequestAuth & {tenant: NonNullable<RequestAuth['tenant']>}, scratch: string, choice: ImportChoice, gates: Pick<Gates, 'imports' | 'conversions'>) {
	const file = path.join(scratch, UPLOAD_NAME);
	if (fs.statSync(file).size === 0) throw invalidFormat('the upload is empty');
	let object = UPLOAD_NAME;
	if (!isLifeboatBackup(file)) {
		if (!looksLikeJsonObject(file)) throw invalidFormat('not a Lifeboat backup (a zip, tar.gz or tar.zst whose first entry is its metadata.json, a Lifeboat JSON bundle, or an encrypted backup), nor an ATLAS export');
		object = await gates.conversions.run(async () => atlasUpload(config, auth, scratch, choice));
	}
	const ref: StoredBackupRef = {destination: openLocalDestination(scratch), location: {kind: 'local', folder: scratch, object}, object};
	try {
		const passphrase = (await isStoredBackupEncrypted(ref)) ? choice.passphrase : undefined;
		const opened = await openBackupChain(ref, {passphrase, signal: config.signal});
		try {
			// Unreadable metadata: reading it again throws the reason (corrupt, unsafe, a bomb).
			const metadata = opened.metadata ?? (await readMetadata(opened.source));
			if (metadata.tenants.length !== 1) throw badRequest(`the backup holds ${metadata.tenants.length} tenants: the API imports a backup of one tenant (export one with POST /backup/export or lifeboat backup create --tenant)`);
			const options: RestoreOptions = {source: opened.source, dataDir: config.dataDir, mode: choice.mode, only: tenantCategories(metadata, choice, auth), intoTenant: auth.tenant.id, keepTenantRows: true, passphrase, signal: config.signal};
			if (choice.dryRun) return planReport(await planRestore({...options, readonly: true}), opened.chain);
			return resultReport(await gates.imports.serialize(() => applyRestore(options)), opened.chain);
		} finally {
			await opened.close();
		}
	} catch (error) {
		throw withoutScratch(error, scratch);
	} finally {
		await ref.destination.close();
	}
}

/** The agentic framework's import options → a restore choice. */
export function agenticChoice(options: Record<string, unknown>): ImportChoice {
	const flag = (key: string, fallback: boolean): boolean => {
		const value = options[key];
		if (value === undefined) return fallback;
		if (typeof value !== 'boolean') throw badRequest(`options.${key} must be true or false`);
		return value;
	};
	const known = ['import_agents', 'import_workflows', 'import_tools', 'import_scheduled_tasks', 'import_memory', 'overwrite_existing', 'dry_run', 'passphrase'];
	const extra = Object.keys(options).filter(key => !known.includes(key));
	if (extra.length > 0) throw badRequest(`unknown option ${extra.slice(0, 3).join(', ')} (known: ${known.join(', ')})`);
	const only: string[] = [];
	if (flag('import_agents', true)) only.push('agents');
	if (flag('import_workflows', true)) only.push('workflows');
	if (flag('import_tools', true)) only.push('tools');
	if (flag('import_scheduled_tasks', true)) only.push('cron');
	if (flag('import_memory', false)) only.push('memory');
	if (only.length === 0) throw badRequest('nothing to import: every import_* option is false');
	if (options['passphrase'] !== undefined && typeof options['passphrase'] !== 'string') throw badRequest('options.passphrase must be a string');
	return {mode: flag('overwrite_existing', false) ? 'replace' : 'additive', only, onlyIfPresent: true, dryRun: flag('dry_run', false), passphrase: options['passphrase'] as string | undefined};
}

export type BundleImportOptions = {dry_run?: boolean; mode?: string; only?: string[]; overwrite?: boolean; passphrase?: string; agent?: string};

/** ATLAS's import options → a restore choice (`overwrite: true` alone means mode overwrite). */
export function bundleChoice(options: BundleImportOptions = {}): ImportChoice {
	if (options.mode !== undefined && !RESTORE_MODES.includes(options.mode as RestoreMode)) throw badRequest(`options.mode must be one of ${RESTORE_MODES.join(', ')}`);
	if (options.overwrite === true && options.mode === 'additive') throw badRequest('options.overwrite true contradicts options.mode additive');
	const mode = (options.mode as RestoreMode | undefined) ?? (options.overwrite ? 'overwrite' : 'additive');
	return {mode, only: options.only && options.only.length > 0 ? options.only : undefined, dryRun: options.dry_run === true, passphrase: options.passphrase, agent: options.agent};
}
