import type {ArchiveSource} from '../archive/archive-reader.js';
import type {CategoryId} from '../store/schema.js';

/**
 * The contract of `backup diff`, shared by the CLI and the console's Browse screen: two sides,
 * each a backup (any format, encrypted or not, local or remote: an opened ArchiveSource) or a live
 * gateway data dir (read only), compared per category by id and content.
 */
export type DiffSideInput = {kind: 'backup'; source: ArchiveSource} | {kind: 'live'; dataDir: string};

export type DiffOptions = {
	/** Also compare this one id (a row id, or a file's path in the data dir) field by field. */
	id?: string;
	/** How many ids each list (added, removed, changed) of a category carries; the rest are counted. Default DIFF_ID_LIMIT. */
	idLimit?: number;
	signal?: AbortSignal;
	onProgress?: (progress: DiffProgress) => void;
};

export type DiffProgress = {side: 'A' | 'B'; what: string; rows: number};

/** One side as the result names it. */
export type DiffSideInfo = {
	kind: 'backup' | 'live';
	label: string;
	/** Backup name and creation time; the live side has neither. */
	name?: string;
	createdAt?: string;
	/** The tenant of a one-tenant backup (its slug), else null. */
	tenant: string | null;
	categories: CategoryId[];
};

/** An entry in a list of ids: its table (`files` for a file, whose id is its path in the data dir) and id. */
export type DiffRef = {table: string; id: string};

export type DiffCounts = {added: number; removed: number; changed: number; unchanged: number};

export type IdList = {ids: DiffRef[]; /** Entries beyond the listed ones. */ more: number};

export type CategoryDiff = DiffCounts & {
	category: CategoryId;
	label: string;
	/** Per table (and `files`): only tables with entries on either side. */
	tables: Record<string, DiffCounts>;
	addedIds: IdList;
	removedIds: IdList;
	changedIds: IdList;
};

/**
 * A value as the diff shows it: the backup's own exact encoding (value-codec.ts: plain JSON, or
 * `{$int}`, `{$real}`, `{$blob}`, `{$text}` where plain JSON would change it), or LIVE_SECRET_MASK
 * where the live side holds a real secret.
 */
export type ShownValue = unknown;

export type FieldChange = {field: string; a: ShownValue; b: ShownValue};

/** One id's entity in one table, A against B. */
export type EntityDiff = {
	category: CategoryId;
	table: string;
	id: string;
	status: 'added' | 'removed' | 'changed' | 'unchanged';
	/** The fields that differ (for added/removed: every field of the side that has it). */
	fields: FieldChange[];
};

export type DiffResult = {
	a: DiffSideInfo;
	b: DiffSideInfo;
	/** Categories compared (held by both sides), in the schema's order. */
	categories: CategoryDiff[];
	/** Categories only one side holds: not compared. */
	notCompared: Array<{category: CategoryId; onlyIn: 'A' | 'B'}>;
	/** The tenant the comparison is limited to (a one-tenant backup against a whole gateway), else null. */
	scopeTenant: string | null;
	totals: DiffCounts;
	/** With `id`: that id in every table (or file) where either side has it. */
	entity?: EntityDiff[];
	warnings: string[];
	durationMs: number;
};

/** Ids listed per category and list before "…and N more" (as restore-types' CONFLICT_ID_LIMIT). */
export const DIFF_ID_LIMIT = 10_000;
