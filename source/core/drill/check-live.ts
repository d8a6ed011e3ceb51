import {formatSpan} from './drill-reports.js';
import {planRestore} from '../restore/index.js';
import type {CheckOutcome} from './check-runner.js';
import type {DrillLiveCategory, DrillOptions} from './drill-types.js';

/**
 * The live store against the backup, per category, from a replace-mode plan against the live
 * data dir opened read-only (nothing is written there): what replace would delete is what live
 * holds and the backup lacks, its conflicts are entries held in another version, and what it
 * would add is what the backup holds and live lacks. Rows and loose files count alike.
 */
export async function compareLive(options: DrillOptions, liveDataDir: string, keyFile: string | undefined): Promise<DrillLiveCategory[]> {
	const plan = await planRestore({
		source: options.source,
		dataDir: liveDataDir,
		mode: 'replace',
		readonly: true,
		skipVerify: true,
		passphrase: options.passphrase,
		keyFile,
		signal: options.signal,
		onProgress: progress => {
			if (progress.phase === 'plan') options.onProgress?.(`Comparing ${progress.category} with the live store: ${progress.rows} rows`);
		},
	});
	return plan.categories.map(category => ({category: category.category, liveOnly: category.toDelete, changed: category.conflicts, backupOnly: category.new}));
}

export function liveOutcome(live: readonly DrillLiveCategory[], createdAt: string, now: number): CheckOutcome {
	const sum = (key: 'liveOnly' | 'changed' | 'backupOnly') => live.reduce((total, category) => total + category[key], 0);
	const age = `RPO ${formatSpan(Math.max(0, now - Date.parse(createdAt)))}`;
	const differs = live.filter(category => category.liveOnly + category.changed + category.backupOnly > 0).length;
	if (differs === 0) return {ok: true, detail: `${age}; the live store holds the same entries`};
	return {ok: true, detail: `${age}; live holds ${sum('liveOnly')} entries the backup lacks and ${sum('changed')} in another version, the backup ${sum('backupOnly')} live lacks (${differs} categor${differs === 1 ? 'y' : 'ies'} differ)`};
}
