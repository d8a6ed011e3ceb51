import type {BackupMetadata} from '../archive/archive-format.js';
import {countOf, formatBytes, formatCount, formatDuration} from '../format.js';
import {applyRestore, type RestoreProgress, type RestoreResult} from '../restore/index.js';
import {LifeboatError, storeIoFailure} from '../errors.js';
import {ScratchError} from '../pid-scratch.js';
import {createGateway} from '../store/gateway-store.js';
import type {CheckOutcome} from './check-runner.js';
import type {DrillOptions} from './drill-types.js';

export type Restored = {result?: RestoreResult; restoreMs?: number};

function progressText(progress: RestoreProgress): string {
	switch (progress.phase) {
		case 'verify':
			return `Restore: verifying ${formatBytes(progress.bytesDone)}${progress.bytesTotal ? ` of ${formatBytes(progress.bytesTotal)}` : ''}`;
		case 'plan':
			return `Restore: planning ${progress.category}: ${formatCount(progress.rows)} rows`;
		case 'apply':
			return `Restoring ${progress.category}: ${formatCount(progress.rows)} rows · ${formatBytes(progress.bytesDone)}`;
		case 'commit':
			return 'Restore: committing';
	}
}

/**
 * The scratch gateway's SQLite failing to read or write its files (a full disk, the file size
 * limit, a file system without SQLite's locking) is the machine's, not the backup's: a
 * ScratchError, which stops the drill (exit 4) instead of failing the restore check.
 */
function scratchGatewayFailure(error: unknown): unknown {
	if (!(error instanceof LifeboatError) || error instanceof ScratchError) return error;
	const code = (error.cause as {code?: unknown} | undefined)?.code;
	if (typeof code !== 'string' || !storeIoFailure(code, {writing: true})) return error;
	return new ScratchError(error.code === 'disk-full' ? 'disk-full' : 'destination', error.message, {cause: error});
}

/**
 * Restores the backup into the empty scratch store as an operator's restore would (additive, its
 * own verify pass included), timed: the RTO. The scratch gateway is created here, schema only.
 */
export async function checkRestore(options: DrillOptions, scratch: string, metadata: BackupMetadata, keyFile: string | undefined, out: Restored): Promise<CheckOutcome> {
	const seeded = createScratchGateway(scratch, metadata);
	const started = performance.now();
	let result: RestoreResult;
	try {
		result = await applyRestore({
			source: options.source,
			dataDir: scratch,
			mode: 'additive',
			passphrase: options.passphrase,
			keyFile,
			signal: options.signal,
			onProgress: progress => options.onProgress?.(progressText(progress)),
		});
	} catch (error) {
		throw scratchGatewayFailure(error);
	}
	out.restoreMs = Math.max(1, Math.round(performance.now() - started));
	out.result = result;
	const {applied} = result;
	if (applied.conflicts > 0 || applied.quarantined > 0) {
		return {ok: false, detail: `${countOf(applied.conflicts, 'conflict')} restoring into an empty data directory (the backup holds an entry twice?)`};
	}
	const perSecond = metadata.totalBytes / (out.restoreMs / 1000);
	const note = seeded > 0 ? ` (the backup holds no users category: it restores only onto a gateway that has its ${countOf(seeded, 'tenant')}; the drill created ${seeded === 1 ? 'it' : 'them'} first from its metadata)` : '';
	return {ok: true, detail: `${countOf(applied.inserted, 'row')} and ${countOf(applied.files, 'file')} in ${formatDuration(out.restoreMs)} (${formatBytes(Math.round(perSecond))}/s)${note}`};
}

/**
 * The empty scratch gateway, schema only. A backup without the users category holds no tenants
 * rows, and a restore needs its tenants on the gateway (an operator restores it onto the gateway
 * that has them): they are created first from the backup's metadata (id, slug, name), so the
 * drill checks what the backup holds. How many were created (0 with the users category).
 */
function createScratchGateway(scratch: string, metadata: BackupMetadata): number {
	const store = createGateway(scratch);
	try {
		if (metadata.categories.includes('users')) return 0;
		const tenants = metadata.tenants.filter(tenant => !tenant.orphan && typeof tenant.id === 'string' && typeof tenant.slug === 'string' && typeof tenant.name === 'string');
		const insert = store.db.prepare('INSERT OR IGNORE INTO tenants (id, tenant_id, created_at, updated_at, name, slug, plan) VALUES (?, ?, ?, ?, ?, ?, ?)');
		let created = 0;
		store.db.transaction(() => {
			for (const tenant of tenants) created += insert.run(tenant.id, tenant.id, metadata.createdAt, metadata.createdAt, tenant.name, tenant.slug, '').changes;
		})();
		return created;
	} finally {
		store.close();
	}
}
