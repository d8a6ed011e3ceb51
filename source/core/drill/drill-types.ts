import type {ArchiveSource} from '../archive/archive-reader.js';
import type {CategoryId} from '../store/schema.js';
import type {ChecklistItem} from '../restore/checklist.js';

/**
 * `lifeboat drill`: proves a backup restores, without touching the live data directory. The
 * backup is restored into a scratch folder (removed afterwards), then checked; with a live data
 * directory, compared with it (RPO). The CLI (`commands/drill.ts`) and the console's DR drill
 * screen are thin layers over runDrill.
 */

/** The checks, in the order they run. */
export const DRILL_CHECKS = [
	{id: 'verify', label: 'Archive verifies (checksums, manifest, metadata)'},
	{id: 'restore', label: 'Restores into a scratch data directory'},
	{id: 'counts', label: "Row counts equal the backup's metadata"},
	{id: 'files', label: "File SHA-256s equal the backup's manifest"},
	{id: 'integrity', label: 'SQLite integrity_check and foreign_key_check pass'},
	{id: 'references', label: 'Every ref / refList resolves as it did on the source gateway'},
	{id: 'opens', label: 'The restored gateway opens with the live store code'},
	{id: 'live', label: 'Compared with the live data directory (RPO)'},
] as const;

export type DrillCheckId = (typeof DRILL_CHECKS)[number]['id'];

export type DrillCheckStatus = 'pending' | 'running' | 'pass' | 'fail' | 'skip';

export type DrillCheck = {
	id: DrillCheckId;
	label: string;
	status: DrillCheckStatus;
	/** One line: what was checked ("41 tables, 12,345 rows") or what failed ("messages: 3 rows, metadata says 4"). */
	detail?: string;
	durationMs?: number;
};

export type DrillOptions = {
	source: ArchiveSource;
	/**
	 * When the backup may be an incremental: opens it with its whole chain (backup-chain.ts
	 * openBackupChain), as part of the verify check, so a missing link fails `verify` naming it.
	 * The drill then reads the chain's merged view instead of `source`, and closes it at the end.
	 */
	openChain?: () => Promise<{source: ArchiveSource; chain?: Array<{name: string}>; close(): Promise<void>}>;
	/** Where the backup is, as printed to the operator (a path or a URL without secrets). */
	location: string;
	passphrase?: string;
	keyFile?: string;
	/** The live data directory to compare with (never written to). */
	liveDataDir?: string;
	/** Where the scratch data directory is made (default: the OS temp folder). */
	scratchParent?: string;
	signal?: AbortSignal;
	/** Called whenever a check changes status (running, then pass/fail/skip). */
	onCheck?: (check: DrillCheck) => void;
	/** Free-text progress of the running check ("Restoring messages: 12,000 rows"). */
	onProgress?: (text: string) => void;
};

/** Per category, what the live store has that the backup lacks or holds in another version. */
export type DrillLiveCategory = {category: CategoryId; liveOnly: number; changed: number; backupOnly: number};

export type DrillReport = {
	ok: boolean;
	startedAt: string;
	finishedAt: string;
	backup: {id: string; name: string; createdAt: string; location: string; format: string; encrypted: boolean; bytes: number};
	checks: DrillCheck[];
	/** RPO: the backup's age when the drill ran; `live` only with a live data directory. */
	rpo: {backupAgeMs: number; live: DrillLiveCategory[] | null};
	/** RTO: the time the restore took, and its throughput over the backup's bytes. */
	rto: {restoreMs: number; bytes: number; bytesPerSecond: number};
	/** The post-restore checklist (what a real restore of this backup would leave to do). */
	checklist: ChecklistItem[];
	/** The first failing check, when ok is false. */
	failed?: DrillCheckId;
	/** The restore's warnings (files it left out, 2FA it could not open…). */
	warnings?: string[];
};

/** One line of the drill history (drills.jsonl beside the other config files). */
export type DrillHistoryEntry = {
	at: string;
	ok: boolean;
	backup: {id: string; name: string; location: string};
	failed?: DrillCheckId;
	rpoMs: number;
	rtoMs: number;
	report?: {json: string; markdown: string};
};
