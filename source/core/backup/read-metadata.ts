import {ARCHIVE_KIND, FORMAT_VERSION, METADATA_PATH, type BackupManifest, type BackupMetadata} from '../archive/archive-format.js';
import {openArchive, readAll, type ArchiveSource} from '../archive/archive-reader.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {TextDecoder} from 'node:util';
import {LifeboatError} from '../errors.js';
import {categorySpec, isCategoryId, SUPPORTED_SCHEMA_VERSIONS, type CategoryId} from '../store/schema.js';

function parseJson(text: Buffer, what: string): unknown {
	let decoded: string;
	try {
		decoded = new TextDecoder('utf-8', {fatal: true}).decode(text);
	} catch {
		throw new LifeboatError('corrupt-archive', `${what} is not valid UTF-8 (damaged or not written by Lifeboat)`);
	}
	try {
		return JSON.parse(decoded);
	} catch (error) {
		throw new LifeboatError('corrupt-archive', `${what} is not valid JSON (${(error as Error).message})`);
	}
}

/** A count or size: a non-negative safe integer (1e300 or -1 are not). */
function isCount(value: unknown): value is number {
	return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Counts that do not describe exactly the categories listed: a category without counts, counts of
 * a category not listed, a table of the category missing or one that is not the category's, a
 * headline count that is not its primary table's (or, without one, its files'). A backup whose
 * metadata says less (or more) than it holds cannot be checked against it, so it is refused.
 */
function countsMismatch(categories: readonly string[], counts: BackupMetadata['counts']): string | undefined {
	const name = (text: string) => JSON.stringify(text.slice(0, 40));
	const twice = categories.find((id, index) => categories.indexOf(id) !== index);
	if (twice) return `categories lists ${twice} twice`;
	for (const id of categories) if (!Object.hasOwn(counts, id)) return `categories lists ${id} but counts has no entry for it`;
	for (const id of Object.keys(counts)) if (!categories.includes(id)) return `counts has an entry for ${name(id)}, which categories does not list`;
	for (const id of categories) {
		const spec = categorySpec(id as CategoryId);
		const count = counts[id]!;
		for (const table of spec.tables) if (!Object.hasOwn(count.tables, table)) return `counts of ${id} has no row count for its table ${table}`;
		for (const table of Object.keys(count.tables)) if (!spec.tables.includes(table)) return `counts of ${id} lists ${name(table)}, which is not a table of ${id}`;
		const headline = spec.primaryTable ? count.tables[spec.primaryTable] : count.files;
		if (count.count !== headline) return `counts of ${id}: count ${count.count} is not its ${spec.primaryTable ? `${spec.primaryTable} rows` : 'files'} (${headline})`;
	}
	return undefined;
}

/** Parses and checks metadata.json; every problem is an operator-facing sentence. */
export function parseMetadata(text: Buffer): BackupMetadata {
	const value = parseJson(text, METADATA_PATH) as Partial<BackupMetadata> | null;
	const problem = (message: string) => new LifeboatError('corrupt-archive', `metadata.json: ${message}`);
	if (!value || typeof value !== 'object') throw problem('not an object');
	if (value.kind !== ARCHIVE_KIND) throw problem('not a Lifeboat backup');
	if (typeof value.schemaVersion !== 'number') throw problem('missing schemaVersion');
	if (!SUPPORTED_SCHEMA_VERSIONS.includes(value.schemaVersion)) {
		throw new LifeboatError('unsupported-version', `Backup has schema version ${value.schemaVersion}; this Lifeboat reads ${SUPPORTED_SCHEMA_VERSIONS.join(', ')} (upgrade Lifeboat to restore it)`);
	}
	if (typeof value.formatVersion !== 'number' || value.formatVersion > FORMAT_VERSION) {
		throw new LifeboatError('unsupported-version', `Backup archive format version ${value.formatVersion} is newer than this Lifeboat supports (${FORMAT_VERSION})`);
	}
	if (typeof value.name !== 'string' || typeof value.createdAt !== 'string' || Number.isNaN(Date.parse(value.createdAt))) throw problem('missing name or createdAt');
	if (!Array.isArray(value.categories) || !value.categories.every(id => isCategoryId(id))) throw problem('categories missing or unknown');
	if (!value.counts || typeof value.counts !== 'object') throw problem('missing counts');
	if (!isCount(value.totalBytes) || !isCount(value.totalFiles)) throw problem('totalBytes and totalFiles must be non-negative whole numbers');
	const isTenant = (tenant: unknown) => {
		const candidate = tenant as {id?: unknown; slug?: unknown; name?: unknown} | null;
		return Boolean(candidate) && typeof candidate === 'object' && typeof candidate!.id === 'string' && typeof candidate!.slug === 'string' && typeof candidate!.name === 'string';
	};
	if (!Array.isArray(value.tenants) || !value.tenants.every(isTenant)) throw problem('tenants missing or malformed');
	if (value.tenant !== null && !isTenant(value.tenant)) throw problem('tenant malformed');
	if (value.tenant && !value.tenants.some(tenant => tenant.id === value.tenant!.id)) throw problem('tenant is not among the tenants listed');
	for (const [category, count] of Object.entries(value.counts)) {
		if (!isCategoryId(category) || !count || typeof count !== 'object' || !isCount(count.count) || !isCount(count.files) || !isCount(count.bytes) || !count.tables || typeof count.tables !== 'object' || !Object.values(count.tables).every(isCount)) {
			throw problem(`counts of ${category.slice(0, 40)} malformed`);
		}
	}
	const mismatch = countsMismatch(value.categories, value.counts);
	if (mismatch) throw problem(mismatch);
	const isNote = (note: unknown) => {
		const candidate = note as {category?: unknown; field?: unknown; count?: unknown; action?: unknown} | null;
		return Boolean(candidate) && typeof candidate === 'object' && typeof candidate!.field === 'string' && typeof candidate!.count === 'number' && typeof candidate!.action === 'string';
	};
	if (!Array.isArray(value.redacted) || !value.redacted.every(isNote)) throw problem('redacted list missing or malformed');
	if (!Array.isArray(value.warnings) || !value.warnings.every(warning => typeof warning === 'string')) throw problem('warnings malformed');
	if (value.twoFactor !== null && (typeof value.twoFactor !== 'object' || typeof value.twoFactor?.users !== 'number')) throw problem('twoFactor malformed');
	if (typeof value.id !== 'string' || !['zip', 'tar.gz', 'tar.zst', 'json', 'dir'].includes(String(value.format))) throw problem('id or format malformed');
	if (value.danglingReferences !== undefined && (!value.danglingReferences || typeof value.danglingReferences !== 'object' || Array.isArray(value.danglingReferences) || !Object.values(value.danglingReferences).every(isCount))) {
		throw problem('danglingReferences malformed');
	}
	const omitted = value.omittedDocumentFiles as {files?: unknown; bytes?: unknown} | undefined | null;
	if (omitted !== undefined && (!omitted || typeof omitted !== 'object' || !isCount(omitted.files) || !isCount(omitted.bytes))) throw problem('omittedDocumentFiles malformed');
	if (value.incremental !== undefined) {
		const isLink = (link: unknown) => {
			const candidate = link as {id?: unknown; name?: unknown; createdAt?: unknown} | null;
			return Boolean(candidate) && typeof candidate === 'object' && typeof candidate!.id === 'string' && typeof candidate!.name === 'string' && typeof candidate!.createdAt === 'string';
		};
		if (!value.incremental || typeof value.incremental !== 'object' || !isLink(value.incremental.base) || !isLink(value.incremental.full)) throw problem('incremental malformed');
	}
	// Only the merged view of a chain (backup-chain.ts) holds one: shown, never trusted for anything else.
	if (value.chain !== undefined && (!Array.isArray(value.chain) || !value.chain.every(link => link && typeof link === 'object' && typeof link.id === 'string' && typeof link.name === 'string' && typeof link.createdAt === 'string' && typeof link.location === 'string'))) {
		throw problem('chain malformed');
	}
	return value as BackupMetadata;
}

export function parseManifest(text: Buffer): BackupManifest {
	const value = parseJson(text, 'manifest.json') as Partial<BackupManifest> | null;
	if (!value || value.kind !== ARCHIVE_KIND || !Array.isArray(value.files)) {
		throw new LifeboatError('corrupt-archive', 'manifest.json: not a Lifeboat manifest');
	}
	for (const file of value.files) {
		if (typeof file?.path !== 'string' || !isCount(file.size) || !/^[0-9a-f]{64}$/.test(String(file.sha256))) {
			throw new LifeboatError('corrupt-archive', 'manifest.json: malformed file entry');
		}
	}
	if (!isCount(value.totalFiles) || !isCount(value.totalBytes)) {
		throw new LifeboatError('corrupt-archive', 'manifest.json: totalBytes and totalFiles must be non-negative whole numbers');
	}
	return value as BackupManifest;
}

/**
 * Reads only metadata.json: by central directory for zip, straight from the folder for dir, and
 * from the first entry of a tar.gz (Lifeboat writes it first) without reading the rest.
 */
export async function readMetadata(source: ArchiveSource): Promise<BackupMetadata> {
	const reader = openArchive(source);
	if (reader.readEntry) {
		const text = await reader.readEntry(METADATA_PATH);
		if (!text) throw new LifeboatError('corrupt-archive', `${source.label}: no metadata.json (not a Lifeboat backup)`);
		return parseMetadata(text);
	}
	const entries = reader.entries();
	try {
		for await (const entry of entries) {
			if (entry.path !== METADATA_PATH) break;
			return parseMetadata(await readAll(entry, READ_LIMITS.maxMetadataBytes));
		}
	} finally {
		await entries.return(undefined);
	}
	throw new LifeboatError('corrupt-archive', `${source.label}: metadata.json is not the first entry (not a Lifeboat backup)`);
}
