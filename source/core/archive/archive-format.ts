import type {CategoryId} from '../store/schema.js';

export type ArchiveFormat = 'zip' | 'tar.gz' | 'dir';

export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['zip', 'tar.gz', 'dir'];

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
	tenants: Array<{id: string; slug: string; name: string}>;
	categories: CategoryId[];
	/** Headline count per category plus per-table counts. */
	counts: Record<string, {count: number; tables: Record<string, number>; files: number; bytes: number}>;
	totalFiles: number;
	/** Uncompressed bytes of every entry except metadata.json and manifest.json. */
	totalBytes: number;
	redacted: RedactionNote[];
	/** How the 2FA block is sealed: with the gateway's backup key, or the backup passphrase. */
	twoFactor: {sealedWith: 'gateway-key' | 'passphrase'; keyId: string; users: number} | null;
	warnings: string[];
	source: {hostname: string; dataDir: string};
};

export type ManifestEntry = {path: string; size: number; sha256: string};

export type BackupManifest = {
	kind: typeof ARCHIVE_KIND;
	files: ManifestEntry[];
	totalFiles: number;
	totalBytes: number;
};

export const FORMAT_VERSION = 1;

export function archiveExtension(format: ArchiveFormat): string {
	return format === 'dir' ? '' : `.${format}`;
}

/** `lifeboat-backup-YYYYMMDD-HHMMSS` in UTC, so names sort by time on any host. */
export function defaultBackupName(date: Date): string {
	const iso = date.toISOString();
	return `lifeboat-backup-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

export function formatFromPath(file: string): ArchiveFormat | undefined {
	if (file.endsWith('.zip')) return 'zip';
	if (file.endsWith('.tar.gz') || file.endsWith('.tgz')) return 'tar.gz';
	return undefined;
}
