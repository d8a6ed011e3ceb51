import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	ARCHIVE_KIND,
	archiveExtension,
	defaultBackupName,
	ENCRYPTED_SUFFIX,
	summarize,
	FORMAT_VERSION,
	MANIFEST_PATH,
	METADATA_PATH,
	TWO_FACTOR_BLOCK_PATH,
	type ArchiveFormat,
	type BackupManifest,
	type BackupMetadata,
	type ManifestEntry,
	type RedactionNote,
} from '../archive/archive-format.js';
import {createArchiveWriter} from '../archive/archive-writer.js';
import {createEncryptStream} from '../crypto/encrypt-stream.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {redactJson} from '../redaction.js';
import {agentFilePolicy} from '../store/agent-files.js';
import {agentDir, documentFile, documentTextFile} from '../store/gateway-paths.js';
import {isSafeExt, isSafeId} from '../store/safe-ids.js';
import {openGateway, resolveTenant} from '../store/gateway-store.js';
import {CATEGORIES, CATEGORY_IDS, isCategoryId, SCHEMA_VERSION, tableSpec, type CategoryId} from '../store/schema.js';
import {TOOL_VERSION} from '../version.js';
import {prepareAtomicOutput} from './atomic-output.js';
import {realPathOfDeepestAncestor} from '../private-fs.js';
import {dumpTables, type StagedFile} from './dump-tables.js';
import {recoverInterruptedRestores} from '../restore/staging.js';
import {isIncompressible} from './compressibility.js';
import {sealTwoFactor} from './two-factor-block.js';

export type BackupProgress =
	| {phase: 'snapshot'; table: string; rows: number}
	| {phase: 'archive'; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number; current: string}
	| {phase: 'finalize'};

export type CreateBackupOptions = {
	dataDir: string;
	/** Exact output path; or `destDir` + optional `name`. */
	out?: string;
	destDir?: string;
	name?: string;
	format?: ArchiveFormat;
	categories?: readonly string[];
	tenant?: string;
	force?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: BackupProgress) => void;
	/** Encrypt the whole archive with this passphrase (zip or tar.gz only). */
	passphrase?: string;
	/** PBKDF2 iterations for encryption (default 600,000; lower only in tests). */
	kdfIterations?: number;
	/** Clock, for tests. */
	now?: Date;
};

export type BackupResult = {
	path: string;
	name: string;
	format: ArchiveFormat;
	/** Bytes on disk (the archive file, or the sum of the directory's files). */
	size: number;
	/** SHA-256 of the archive file; of manifest.json for a directory backup. */
	sha256: string;
	durationMs: number;
	metadata: BackupMetadata;
};

/** Parses and checks a category list; an empty or missing list means every category. */
export function resolveCategories(requested: readonly string[] | undefined, tenantScoped: boolean): CategoryId[] {
	if (!requested || requested.length === 0) {
		// A one-tenant backup leaves out gateway-wide files unless they are asked for by name.
		return CATEGORIES.filter(category => !tenantScoped || category.scope === 'tenant').map(category => category.id);
	}
	const unknown = requested.filter(name => !isCategoryId(name));
	if (unknown.length > 0) {
		throw new LifeboatError('unknown-category', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (known: ${CATEGORY_IDS.join(', ')})`);
	}
	return CATEGORY_IDS.filter(id => requested.includes(id));
}

type PlannedEntry = {archivePath: string; file: string; category: CategoryId; size: number; store: boolean};

/** Every file of an agent's directory, sorted, skipping anything that is not a regular file. */
/**
 * A backup written into the live data (the database folder, agents, documents, keys) could be
 * swept into a later backup or clobber gateway files; the data dir's root itself is refused too.
 * Paths are compared as given and by where they really lead (links resolved as far as the path
 * exists), so a destination reached through a link into the data dir is refused as well.
 */
function refuseOutputInsideGateway(finalPath: string, root: string): void {
	let real: [string, string];
	try {
		real = [path.join(realPathOfDeepestAncestor(path.dirname(finalPath)), path.basename(finalPath)), realPathOfDeepestAncestor(root)];
	} catch (error) {
		describeFsError(error, `Destination ${path.dirname(finalPath)}`);
	}
	for (const [target, base] of [[finalPath, root], real]) {
		const relative = path.relative(base!, target!);
		if (relative === '') throw new LifeboatError('destination', `Refusing to write the backup over the gateway data directory itself (${finalPath})`);
		if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) continue;
		const top = relative.split(path.sep)[0];
		if (['data', 'agents', 'documents', 'keys', 'quarantine', '.lifeboat-restore'].includes(top!)) {
			throw new LifeboatError('destination', `Refusing to write a backup inside the gateway's ${top}/ folder (${finalPath}${target === finalPath ? '' : ` leads to ${target}`}); choose a folder outside the data directory`);
		}
	}
}

/** A JSON file as it goes into a backup: secrets redacted, pretty-printed; undefined if not JSON. */
export function redactJsonFile(file: string): {text: string; keys: string[]} | undefined {
	let parsed: unknown;
	try {
		parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
	const result = redactJson(parsed);
	return {text: JSON.stringify(result.value, null, 2) + '\n', keys: result.redacted};
}

function agentFiles(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	const out: string[] = [];
	const walk = (current: string) => {
		for (const entry of fs.readdirSync(current, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
			const full = path.join(current, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.isFile()) out.push(full);
		}
	};
	walk(dir);
	return out;
}

export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
	const started = Date.now();
	const now = options.now ?? new Date();
	const format = options.format ?? 'zip';
	const store = openGateway(options.dataDir);
	try {
		// A restore killed after its database commit finishes its file swap first, so the
		// backup never captures new rows beside old files.
		recoverInterruptedRestores(store.paths.root, store.db);
		const tenant = options.tenant ? resolveTenant(store, options.tenant) : undefined;
		const categories = resolveCategories(options.categories, Boolean(tenant));
		const name = options.name ?? defaultBackupName(now);
		const {passphrase} = options;
		if (passphrase !== undefined) {
			if (format === 'dir') throw new LifeboatError('usage', 'Encryption needs --format zip or tar.gz (a folder backup cannot be encrypted)');
			if (passphrase.length === 0) throw new LifeboatError('usage', 'passphrase must not be empty');
		}
		const suffix = archiveExtension(format) + (passphrase ? ENCRYPTED_SUFFIX : '');
		if (name.trim() === '' || /[/\\]/.test(name) || name.startsWith('.')) throw new LifeboatError('usage', `Invalid backup name "${name}"`);
		let finalPath: string;
		if (options.out) finalPath = path.resolve(options.out);
		else if (options.destDir) finalPath = path.join(path.resolve(options.destDir), name + suffix);
		else throw new LifeboatError('usage', 'Pass --out PATH or --dest DIR');

		refuseOutputInsideGateway(finalPath, store.paths.root);
		const output = prepareAtomicOutput(finalPath, {force: options.force});
		const onAbort = () => output.discard();
		try {
			const stagingDir = path.join(output.workDir, 'staging');
			fs.mkdirSync(stagingDir);
			const dump = await dumpTables(store, {
				categories,
				tenantId: tenant?.id,
				stagingDir,
				signal: options.signal,
				onRows: (table, rows) => options.onProgress?.({phase: 'snapshot', table, rows}),
			});
			const warnings: string[] = [];
			const redacted: RedactionNote[] = Object.entries(dump.redactedCounts).map(([field, count]) => {
				const table = tableSpec(field.split('.')[0]!);
				return {category: table.category, field, count, action: field.startsWith('node_pairings') ? 're-pair the node' : 're-enter on restore'};
			});

			let agentRedactions = 0;
			// Files: staged table dumps, the 2FA block, agent folders, documents, gateway files.
			const entries: PlannedEntry[] = dump.staged.map((staged: StagedFile) => ({...staged, size: 0, store: false}));
			let twoFactor: BackupMetadata['twoFactor'] = null;
			const sealedUsers = dump.sealed['users']?.['totp_secret'];
			if (sealedUsers && Object.keys(sealedUsers).length > 0) {
				const sealed = await sealTwoFactor(dump.sealed, {passphrase, gatewayKeyFile: store.paths.backupKey});
				const file = path.join(stagingDir, '2fa-secrets.json.enc');
				fs.writeFileSync(file, sealed.block);
				entries.push({archivePath: TWO_FACTOR_BLOCK_PATH, file, category: 'users', size: 0, store: true});
				twoFactor = {sealedWith: sealed.sealedWith, keyId: sealed.keyId, users: Object.keys(sealedUsers).length};
			}
			for (const agentId of dump.agentIds) {
				// A row whose id cannot name a folder is kept, its files are not looked for.
				if (!isSafeId(agentId)) {
					warnings.push(`agent ${JSON.stringify(agentId).slice(0, 60)}: id not usable as a folder name, files not backed up`);
					continue;
				}
				const dir = agentDir(store.paths, agentId);
				for (const file of agentFiles(dir)) {
					const relative = path.relative(dir, file).split(path.sep).join('/');
					const archivePath = `agents/${agentId}/${relative}`;
					const policy = agentFilePolicy(relative);
					if (policy === 'skip') {
						warnings.push(`${archivePath}: not backed up (only .md, .txt and .json agent files are; others may hold credentials)`);
						continue;
					}
					if (policy === 'copy') {
						// Agent files are small and rewritten in place by a running gateway: take a
						// copy now so the archive holds one consistent version with a known size.
						const staged = path.join(stagingDir, ...archivePath.split('/'));
						fs.mkdirSync(path.dirname(staged), {recursive: true});
						fs.copyFileSync(file, staged);
						entries.push({archivePath, file: staged, category: 'agents', size: 0, store: false});
						continue;
					}
					const json = redactJsonFile(file);
					if (!json) {
						warnings.push(`${archivePath}: not valid JSON, not backed up (it could not be checked for secrets)`);
						continue;
					}
					const staged = path.join(stagingDir, ...archivePath.split('/'));
					fs.mkdirSync(path.dirname(staged), {recursive: true});
					fs.writeFileSync(staged, json.text);
					agentRedactions += json.keys.length;
					entries.push({archivePath, file: staged, category: 'agents', size: 0, store: false});
				}
			}
			if (agentRedactions > 0) redacted.push({category: 'agents', field: 'agents/<id>/*.json', count: agentRedactions, action: 're-enter on restore'});
			for (const document of dump.documents) {
				if (!isSafeId(document.id) || !isSafeExt(document.ext)) {
					warnings.push(`document ${JSON.stringify(document.id).slice(0, 60)}: id or extension not usable as a file name, file not backed up`);
					continue;
				}
				const raw = documentFile(store.paths, document.id, document.ext);
				if (fs.existsSync(raw)) {
					entries.push({archivePath: `documents/files/${document.id}.${document.ext}`, file: raw, category: 'documents', size: 0, store: isIncompressible(raw, document.ext, fs.statSync(raw).size)});
				} else {
					warnings.push(`document ${document.id}: file missing in the data directory, row kept without it`);
				}
				const text = documentTextFile(store.paths, document.id);
				if (fs.existsSync(text)) entries.push({archivePath: `documents/text/${document.id}.txt`, file: text, category: 'documents', size: 0, store: false});
			}
			for (const category of CATEGORIES) {
				if (!categories.includes(category.id)) continue;
				for (const spec of category.files ?? []) {
					const source = path.join(store.paths.root, spec.path);
					if (!fs.existsSync(source)) {
						if (!spec.optional) warnings.push(`${spec.path}: not found in the data directory`);
						continue;
					}
					let file = source;
					if (spec.kind === 'json') {
						const result = redactJsonFile(source);
						if (!result) throw new LifeboatError('not-a-gateway', `${spec.path} is not valid JSON; fix it or leave the ${category.id} category out (--categories)`);
						if (result.keys.length > 0) {
							redacted.push({category: category.id, field: `${spec.archivePath}:${result.keys.join(',')}`, count: result.keys.length, action: 're-enter on restore'});
						}
						file = path.join(stagingDir, spec.archivePath);
						fs.mkdirSync(path.dirname(file), {recursive: true});
						fs.writeFileSync(file, result.text);
					}
					entries.push({archivePath: spec.archivePath, file, category: category.id, size: 0, store: spec.kind === 'opaque'});
				}
			}
			for (const entry of entries) entry.size = fs.statSync(entry.file).size;
			const totalBytes = entries.reduce((sum, entry) => sum + entry.size, 0);

			const counts: BackupMetadata['counts'] = {};
			for (const category of CATEGORIES) {
				if (!categories.includes(category.id)) continue;
				const tables = Object.fromEntries(category.tables.map(table => [table, dump.rowCounts[table] ?? 0]));
				const files = entries.filter(entry => entry.category === category.id);
				const count = category.primaryTable ? tables[category.primaryTable] ?? 0 : files.length;
				counts[category.id] = {count, tables, files: files.length, bytes: files.reduce((sum, entry) => sum + entry.size, 0)};
			}
			const metadata: BackupMetadata = {
				kind: ARCHIVE_KIND,
				tool: {name: 'lifeboat', version: TOOL_VERSION},
				schemaVersion: SCHEMA_VERSION,
				formatVersion: FORMAT_VERSION,
				id: crypto.randomUUID(),
				name,
				createdAt: now.toISOString(),
				format,
				tenant: tenant ? {id: tenant.id, slug: tenant.slug, name: tenant.name} : null,
				tenants: dump.tenants,
				categories,
				counts,
				totalFiles: entries.length,
				totalBytes,
				redacted,
				twoFactor,
				encrypted: Boolean(passphrase),
				warnings,
				source: {hostname: os.hostname(), dataDir: store.paths.root},
			};

			let bytesDone = 0;
			let filesDone = 0;
			const outputTransform = passphrase
				? await createEncryptStream({passphrase, summary: summarize(metadata, true), iterations: options.kdfIterations})
				: undefined;
			const writer = createArchiveWriter({
				outputTransform,
				format,
				output: output.tempOutput,
				expectedBytes: totalBytes,
				date: now,
				onBytes: bytes => {
					bytesDone += bytes;
				},
			});
			options.signal?.addEventListener('abort', onAbort, {once: true});
			const manifest: ManifestEntry[] = [];
			let digest: {size: number; sha256: string};
			try {
				manifest.push(await writer.addBuffer(METADATA_PATH, Buffer.from(JSON.stringify(metadata, null, 2) + '\n')));
				for (const entry of entries) {
					if (options.signal?.aborted) throw options.signal.reason ?? new LifeboatError('interrupted', 'Backup interrupted');
					options.onProgress?.({phase: 'archive', bytesDone, bytesTotal: totalBytes, filesDone, filesTotal: entries.length, current: entry.archivePath});
					manifest.push(await writer.addFile(entry.archivePath, entry.file, {store: entry.store}));
					filesDone++;
				}
				const manifestDocument: BackupManifest = {kind: ARCHIVE_KIND, files: manifest, totalFiles: manifest.length, totalBytes};
				await writer.addBuffer(MANIFEST_PATH, Buffer.from(JSON.stringify(manifestDocument, null, 2) + '\n'));
				options.onProgress?.({phase: 'archive', bytesDone, bytesTotal: totalBytes, filesDone, filesTotal: entries.length, current: MANIFEST_PATH});
				options.onProgress?.({phase: 'finalize'});
				digest = await writer.finish();
			} catch (error) {
				await writer.abort();
				throw error;
			}
			if (options.signal?.aborted) throw options.signal.reason ?? new LifeboatError('interrupted', 'Backup interrupted');
			await output.commit();
			return {path: finalPath, name, format, size: digest.size, sha256: digest.sha256, durationMs: Date.now() - started, metadata};
		} catch (error) {
			output.discard();
			if (error instanceof LifeboatError) throw error;
			const code = (error as NodeJS.ErrnoException).code;
			if (code) describeFsError(error, 'Writing backup');
			throw error;
		} finally {
			options.signal?.removeEventListener('abort', onAbort);
		}
	} finally {
		store.close();
	}
}
