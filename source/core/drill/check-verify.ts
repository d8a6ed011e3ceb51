import type {BackupManifest, BackupMetadata} from '../archive/archive-format.js';
import {verifyBackup} from '../backup/verify-backup.js';
import {countOf, formatBytes} from '../format.js';
import type {CheckOutcome} from './check-runner.js';
import type {DrillOptions} from './drill-types.js';

export type Verified = {metadata?: BackupMetadata; manifest?: BackupManifest};

/**
 * The archive verifies as `backup verify` checks it, rows included (verify-backup.ts): every file
 * present with its size and SHA-256, nothing extra, metadata well-formed, every row readable.
 */
export async function checkVerify(options: DrillOptions, found: Verified, chain?: ReadonlyArray<{name: string}>): Promise<CheckOutcome> {
	const result = await verifyBackup(options.source, {
		rows: true,
		signal: options.signal,
		onProgress: progress => options.onProgress?.(`Verifying ${formatBytes(progress.bytesDone)}${progress.bytesTotal ? ` of ${formatBytes(progress.bytesTotal)}` : ''} · ${countOf(progress.filesDone, 'file')}`),
	});
	found.metadata = result.metadata;
	found.manifest = result.manifest;
	if (!result.ok || !result.metadata || !result.manifest) {
		const first = result.problems[0] ?? 'the backup failed verification';
		const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more)` : '';
		return {ok: false, detail: `${first}${more}`};
	}
	const links = chain ? `chain of ${chain.length} (${chain.map(link => link.name).join(' → ')}) merged; ` : '';
	return {ok: true, detail: `${links}${countOf(result.checkedFiles, 'file')}, ${formatBytes(result.checkedBytes)} match the manifest; every row read`};
}
