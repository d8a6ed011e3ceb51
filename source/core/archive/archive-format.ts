import crypto from 'node:crypto';
import type {CategoryId} from '../store/schema.js';

/** `tar.zst`: a tar stream through the system `zstd` program (zstd-process.ts); zip stays the default. */
/** `json`: the single-file JSON bundle (json-bundle-writer.ts), every entry inside one JSON document. */
export type ArchiveFormat = 'zip' | 'tar.gz' | 'tar.zst' | 'json' | 'dir';

export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['zip', 'tar.gz', 'tar.zst', 'json', 'dir'];

/** The formats read as one tar stream front to back (gzip or zstd over it). */
export type TarFormat = 'tar.gz' | 'tar.zst';

/** The formats read front to back as one stream: the tar ones and the JSON bundle. */
export type StreamFormat = TarFormat | 'json';

/** The JSON bundle's `kind` (its first key) and version. */
export const BUNDLE_KIND = 'lifeboat-bundle';
export const BUNDLE_VERSION = 1;

export const METADATA_PATH = 'metadata.json';
export const MANIFEST_PATH = 'manifest.json';
export const TWO_FACTOR_BLOCK_PATH = 'users/2fa-secrets.json.enc';
export const ARCHIVE_KIND = 'lifeboat-backup';

/** A secret that was left out of the backup and what the operator must do about it. */
export type RedactionNote = {
	category: CategoryId;
	/** Table column (`webhooks.secret`) or file and key (`config/appsettings.backup.json:Jwt.SigningKey`). */
	field: string;
	count: number;
	action: string;
};

export type BackupMetadata = {
	kind: typeof ARCHIVE_KIND;
	tool: {name: 'lifeboat'; version: string};
	schemaVersion: number;
	formatVersion: number;
	id: string;
	name: string;
	createdAt: string;
	format: ArchiveFormat;
	/** `null` means every tenant. */
	tenant: {id: string; slug: string; name: string} | null;
	/** Every tenant the backup holds rows for (restore checks --into-tenant against these). */
	/** `orphan`: rows carry this tenant id but the gateway has no tenants row for it (a deleted tenant's leftovers). */
	tenants: Array<{id: string; slug: string; name: string; orphan?: boolean}>;
	categories: CategoryId[];
	/** Headline count per category plus per-table counts. */
	counts: Record<string, {count: number; tables: Record<string, number>; files: number; bytes: number}>;
	totalFiles: number;
	/** Uncompressed bytes of every entry except metadata.json and manifest.json. */
	totalBytes: number;
	redacted: RedactionNote[];
	/** How the 2FA block is sealed: with the gateway's backup key, or the backup passphrase. */
	twoFactor: {sealedWith: 'gateway-key' | 'passphrase'; keyId: string; users: number} | null;
	/**
	 * Set on incremental backups: the base they were made against (the previous link of the
	 * chain) and the chain's full backup, by id and name (names find them at the destination).
	 */
	incremental?: {
		base: {id: string; name: string; createdAt: string};
		full: {id: string; name: string; createdAt: string};
		/** The backup's state (what a restore of the chain up to it holds): rows per table, data files. */
		state?: {rows: Record<string, number>; files: number};
		/** What this backup carries: rows new or changed since the base, data files new or changed. */
		changed?: {rows: number; files: number};
		/** Tombstones (index/deleted.jsonl): rows per table and files of the base the state lacks. */
		deleted?: {rows: Record<string, number>; files: number};
	};
	/**
	 * Set on the merged view of a chain (backup-chain.ts): the links, full first, whose state this
	 * is. Never written into a stored backup.
	 */
	chain?: Array<{id: string; name: string; createdAt: string; location: string}>;
	/**
	 * Set on a JSON bundle written without --include-files: the documents' files (documents/files/)
	 * it leaves out, though it holds their rows. Restore then leaves live document files alone.
	 */
	omittedDocumentFiles?: {files: number; bytes: number};
	/** True when the archive itself is passphrase-encrypted (this metadata is then inside it). */
	encrypted?: boolean;
	warnings: string[];
	source: {hostname: string; dataDir: string};
	/**
	 * Dangling references per `table.column` on the source gateway when the backup was made (legal
	 * data: see rows/dangling-references.ts), for the columns whose table and target are both in the
	 * backup's categories. `lifeboat drill` fails when a restore holds more. Absent in older backups.
	 */
	danglingReferences?: Record<string, number>;
};

export type ManifestEntry = {path: string; size: number; sha256: string};

export type BackupManifest = {
	kind: typeof ARCHIVE_KIND;
	files: ManifestEntry[];
	totalFiles: number;
	totalBytes: number;
};

/**
 * 2: values that plain JSON would change are tagged (value-codec.ts) and names in paths are
 * escaped (archive-paths.ts). Version 1 archives read unchanged.
 */
export const FORMAT_VERSION = 2;

export function archiveExtension(format: ArchiveFormat): string {
	return format === 'dir' ? '' : `.${format}`;
}

/** `lifeboat-backup-YYYYMMDD-HHMMSS` in UTC, so names sort by time on any host. */
export function defaultBackupName(date: Date): string {
	const iso = date.toISOString();
	return `lifeboat-backup-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** Suffix of passphrase-encrypted backups: `name.zip.enc`, `name.tar.gz.enc`. */
export const ENCRYPTED_SUFFIX = '.enc';

/** A backup file's name endings and the format each names (an encrypted one adds ENCRYPTED_SUFFIX). */
const FORMAT_ENDINGS: ReadonlyArray<readonly [string, ArchiveFormat]> = [
	['.zip', 'zip'],
	['.tar.gz', 'tar.gz'],
	['.tgz', 'tar.gz'],
	['.tar.zst', 'tar.zst'],
	['.tzst', 'tar.zst'],
	['.json', 'json'],
];

export function formatFromPath(file: string): ArchiveFormat | undefined {
	const plain = file.endsWith(ENCRYPTED_SUFFIX) ? file.slice(0, -ENCRYPTED_SUFFIX.length) : file;
	return FORMAT_ENDINGS.find(([ending]) => plain.endsWith(ending))?.[1];
}

/** The backup file ending `name` has, in any case (`b1.ZIP` → `.zip`), or undefined. */
export function backupExtension(name: string): string | undefined {
	const lower = name.toLowerCase();
	return [...FORMAT_ENDINGS.map(([ending]) => ending), ENCRYPTED_SUFFIX].find(ending => lower.endsWith(ending));
}

/**
 * What `backup list` and the TUI show about a backup. For an encrypted backup this is the
 * plaintext header summary: readable without the passphrase, so it holds nothing secret
 * (no secrets, no row contents: names, dates, scope and counts only).
 */
export type BackupSummary = {
	kind: typeof ARCHIVE_KIND;
	id: string;
	name: string;
	createdAt: string;
	format: ArchiveFormat;
	/** An incremental holds what changed since its base; restoring it needs the whole chain. */
	backupKind: 'full' | 'incremental';
	/** The backup an incremental was made against (the previous link of its chain); null for a full one. */
	baseBackupId: string | null;
	/** The full backup an incremental's chain starts from; null for a full one. */
	fullBackupId: string | null;
	schemaVersion: number;
	tenant: string | null;
	/**
	 * The tenant's id (what `tenant`'s slug was when the backup was made; a slug can change and
	 * be reused). Absent from an encrypted backup's header written before it was added.
	 */
	tenantId?: string | null;
	tenants: number;
	/**
	 * Which gateway made it (gatewayKey of its host name and data folder, as restic tells hosts
	 * and paths apart): retention judges each gateway's backups apart. Absent from an encrypted
	 * backup's header written before it was added.
	 */
	gateway?: string | null;
	categories: CategoryId[];
	counts: Record<string, number>;
	totalFiles: number;
	totalBytes: number;
	encrypted: boolean;
};

/**
 * Whether a backup (its summary) holds this tenant's data, `null` meaning the whole gateway's: by
 * the tenant's id where the summary has it (a slug can change hands: renamed, or taken after a
 * deletion), else (an encrypted header written before ids) by slug.
 */
export function holdsTenant(summary: Pick<BackupSummary, 'tenant' | 'tenantId'>, tenant: {id: string; slug: string} | null): boolean {
	if (tenant === null || summary.tenant === null) return tenant === null && summary.tenant === null;
	return typeof summary.tenantId === 'string' ? summary.tenantId === tenant.id : summary.tenant === tenant.slug;
}

/** The zone words Date.parse reads (RFC 2822's), as whole words. */
const ZONE_WORD = /\b(?:UTC?|GMT|[ECMP][SD]T)\b/i;
/** An offset or `Z` right after a time: `10:00:00+01:00`, `10:00 -0500`, `10:00:00.5Z`, `10:00 -5`. */
const OFFSET_AFTER_TIME = /\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[+-]\d\d:?\d\d|[+-]\d{1,2}|Z)$/i;

/** Whether a date-time text names its zone (a comment in parentheses, `(CET)`, names none). */
function namesZone(text: string): boolean {
	const bare = text.replace(/\([^)]*\)/g, ' ').trim();
	return ZONE_WORD.test(bare) || OFFSET_AFTER_TIME.test(bare);
}

/**
 * The instant a backup's `createdAt` names (ms), NaN when it names none. Lifeboat writes UTC
 * (`…Z`); a date-time without a zone (written by hand or another tool) is read as UTC too, not
 * in the host's zone, so an order or a retention plan never depends on where it is computed.
 */
export function instantOf(createdAt: string): number {
	if (typeof createdAt !== 'string') return Number.NaN;
	const parsed = Date.parse(createdAt);
	// A date alone (`2026-12-01`) is UTC already; a text that names a zone or an offset is read in it.
	if (Number.isNaN(parsed) || /^\d{4}-\d\d-\d\d$/.test(createdAt) || namesZone(createdAt)) return parsed;
	// Read in the host's zone (`2026-12-01T10:00`, SQLite's `2026-12-01 10:00:00`, `2026/12/01 10:00`):
	// the same wall-clock fields, taken as UTC. Given a zone rather than read back from the host's
	// (a wall-clock time in its daylight-saving gap would move an hour).
	for (const zone of ['Z', ' UTC']) {
		const utc = Date.parse(createdAt + zone);
		if (!Number.isNaN(utc)) return utc;
	}
	const local = new Date(parsed);
	return Date.UTC(local.getFullYear(), local.getMonth(), local.getDate(), local.getHours(), local.getMinutes(), local.getSeconds(), local.getMilliseconds());
}

/**
 * A gateway's identity in summaries: a digest of the host name and data folder its backups record
 * (so a plaintext header names neither), or null when the metadata has no readable source.
 */
export function gatewayKey(source: {hostname?: unknown; dataDir?: unknown} | null | undefined): string | null {
	if (typeof source?.hostname !== 'string' || typeof source.dataDir !== 'string') return null;
	return crypto.createHash('sha256').update(`${source.hostname}\0${source.dataDir}`).digest('hex').slice(0, 16);
}

export function summarize(metadata: BackupMetadata, encrypted: boolean): BackupSummary {
	return {
		kind: ARCHIVE_KIND,
		id: metadata.id,
		name: metadata.name,
		createdAt: metadata.createdAt,
		format: metadata.format,
		backupKind: metadata.incremental ? 'incremental' : 'full',
		baseBackupId: metadata.incremental?.base.id ?? null,
		fullBackupId: metadata.incremental?.full.id ?? null,
		schemaVersion: metadata.schemaVersion,
		tenant: metadata.tenant?.slug ?? null,
		tenantId: metadata.tenant?.id ?? null,
		tenants: metadata.tenants.length,
		gateway: gatewayKey(metadata.source),
		categories: metadata.categories,
		counts: Object.fromEntries(Object.entries(metadata.counts).map(([category, count]) => [category, count.count])),
		totalFiles: metadata.totalFiles,
		totalBytes: metadata.totalBytes,
		encrypted,
	};
}
