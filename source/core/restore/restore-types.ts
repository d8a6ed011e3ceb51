import type {ArchiveSource} from '../archive/archive-reader.js';
import type {BackupMetadata, RedactionNote} from '../archive/archive-format.js';
import type {CategoryId} from '../store/schema.js';

/**
 * The restore engine's contract, shared by the CLI (`backup restore`, `quarantine …`) and the TUI
 * restore wizard. Restore always plans first; applying re-plans inside its transaction.
 */

/**
 * additive: conflicts go to quarantine; overwrite: the backup's version wins on conflict, nothing
 * the backup lacks is deleted; replace: the target's data in the chosen categories becomes the backup's.
 */
export type RestoreMode = 'additive' | 'overwrite' | 'replace';

export const RESTORE_MODES: readonly RestoreMode[] = ['additive', 'overwrite', 'replace'];

/** True for the modes where the backup's version of a conflicting entry is written over the live one. */
export function backupWins(mode: RestoreMode): boolean {
	return mode !== 'additive';
}

export type RestoreOptions = {
	source: ArchiveSource;
	dataDir: string;
	mode?: RestoreMode;
	/** Categories to restore (default: every category in the backup). */
	only?: readonly string[];
	/** Restore a one-tenant backup into this tenant (id, slug or name); ids are remapped. */
	intoTenant?: string;
	/**
	 * Leave the tenants table alone even when the backup's tenant is the target (as --into-tenant
	 * does for another tenant): a tenant's own import may not rename it or change its slug.
	 */
	keepTenantRows?: boolean;
	/** Gateway backup key file for the 2FA block of a backup made elsewhere (default: the gateway's own). */
	keyFile?: string;
	/** Passphrase of an encrypted backup. */
	passphrase?: string;
	/** Skip the separate verify pass (the plan pass still checks every entry it reads against the manifest). Apply always verifies. */
	skipVerify?: boolean;
	/** planRestore only: open the store read-only (a drill or a diff against a live gateway writes nothing, not even SQLite's own files' contents). */
	readonly?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: RestoreProgress) => void;
};

export type RestoreProgress =
	| {phase: 'verify'; bytesDone: number; bytesTotal: number}
	| {phase: 'plan'; category: CategoryId; rows: number}
	| {phase: 'apply'; category: CategoryId; rows: number; bytesDone: number; bytesTotal: number}
	| {phase: 'commit'};

export type TableCounts = {new: number; identical: number; conflicts: number; toDelete: number};

export type CategoryPlan = TableCounts & {
	category: CategoryId;
	label: string;
	/** Rows (of the headline table) or files the category holds in the backup. */
	total: number;
	unit: string;
	files: number;
	bytes: number;
	tables: Record<string, TableCounts>;
	/** Ids of conflicting entities (capped at CONFLICT_ID_LIMIT; conflictIdsTruncated says how many more). */
	conflictIds: string[];
	conflictIdsTruncated: number;
	/** The same conflicts with the table each id belongs to (`files` for a file: id is its path in the data dir). */
	conflictRefs: ConflictRef[];
	/** Loose files (agent files, documents, gateway files) alone, included in the counts above. */
	fileCounts: TableCounts;
};

/** Table name used for file entries in conflict refs, quarantine entries and getConflictDetail. */
export const FILES_TABLE = 'files';

export type ConflictRef = {table: string; id: string};

export const CONFLICT_ID_LIMIT = 10_000;

export type RestorePlan = {
	backup: BackupMetadata;
	mode: RestoreMode;
	/** Tenant the data lands in; null when the backup spans all tenants and no --into-tenant. */
	targetTenant: {id: string; slug: string; name: string; exists: boolean} | null;
	categories: CategoryPlan[];
	totals: TableCounts & {files: number; bytes: number};
	/** What the operator must re-enter after restore (redacted secrets, node re-pairing). */
	secretsToReenter: RedactionNote[];
	warnings: string[];
	/**
	 * References the restore itself would leave dangling (--only, --into-tenant): rows it writes that
	 * point at rows the backup holds in a category not restored, absent from the target store.
	 */
	danglingReferences: DanglingReference[];
	/** Tenants whose data the restore touches (replace wipes these, in the selected categories only). */
	scopeTenantIds: string[];
	/** 2FA secrets in the backup and whether this restore can open them. */
	/** `restored`: users whose 2FA secret the restore writes (or would write) from the sealed block. */
	twoFactor: {users: number; restorable: boolean; restored: number} | null;
	/** Wall time of the planning pass (verify included). */
	durationMs: number;
	/** True when the data dir is absent or empty: the restore makes a new gateway there (bare host). */
	newDataDir?: boolean;
};

/** `count` references of `table.column` point at `target` rows left out (restore `category` to keep them whole). */
export type DanglingReference = {table: string; column: string; target: string; category: CategoryId; count: number};

export type RestoreResult = {
	plan: RestorePlan;
	restoreId: string;
	/** Folder holding conflicting entries (additive mode), relative paths inside the data dir. */
	quarantineDir?: string;
	applied: AppliedCounts;
	/** Per category, what the apply pass did (same shape as the plan, counted while writing). */
	appliedCategories: CategoryPlan[];
	secretsToReenter: RedactionNote[];
	warnings: string[];
	durationMs: number;
	/** The data dir the restore made as a new gateway (absent or empty before), when it did. */
	createdDataDir?: string;
};

/**
 * What a restore did. `new`, `identical`, `conflicts` and `deleted` count rows and files alike and
 * equal the plan's `totals` (new, identical, conflicts, toDelete); conflicts went to quarantine
 * (additive) or were replaced by the backup's version (overwrite, replace). `inserted` and `files` are the rows
 * and files written (new and replaced), `quarantined` the entries put in quarantine.
 */
export type AppliedCounts = {new: number; identical: number; conflicts: number; deleted: number; inserted: number; quarantined: number; files: number};

/** One conflicting entity: the backup's version against the live one. */
export type ConflictDetail = {
	category: CategoryId;
	table: string;
	id: string;
	backup: Record<string, unknown>;
	live: Record<string, unknown>;
	/** Column names whose values differ. */
	changed: string[];
};

export type QuarantineEntry = {
	restoreId: string;
	category: CategoryId;
	table: string;
	id: string;
	createdAt: string;
	changed: string[];
	/** `table:id`, the handle `quarantine show|accept|discard` take. */
	entryId: string;
	/** False when the live entity no longer exists (accept then inserts it). */
	liveExists: boolean;
};

/** One restore's quarantine folder. */
export type QuarantineRestore = {
	restoreId: string;
	createdAt: string;
	/** Folder relative to the data dir: quarantine/<restore-id>. */
	dir: string;
	backup: {id: string; name: string; createdAt: string};
	mode: RestoreMode;
	intoTenant: string | null;
	entries: number;
	/** Entries per category. */
	categories: Record<string, number>;
};
