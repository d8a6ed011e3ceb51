import {describe, expect, it} from 'vitest';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {planRestore} from '../source/core/restore/index.js';
import {backupOf, copyGateway, demoGateway, query} from './restore-support.js';

/**
 * Review of 7dcda2c: "a Lifeboat backup dumps every table in id order, so only a foreign or
 * hand-made archive" is read twice. memory_daily_logs is dumped one file per day, in (day, id)
 * order: its ids are not in id order across days, so every backup holding two days of logs
 * (any demo gateway) throws IdsOutOfOrder at the second day and is read again from the start.
 */
describe('a Lifeboat backup of a gateway with daily logs on two days (review of 7dcda2c)', () => {
	it('holds daily log ids out of id order across days, as any gateway with random ids does', async () => {
		const dataDir = await demoGateway({tenants: 1});
		const ids = query<{id: string}>(dataDir, 'SELECT id FROM memory_daily_logs ORDER BY day, id').map(row => row.id);
		expect(ids.some((id, index) => index > 0 && id < ids[index - 1]!)).toBe(true);
	});

	it('is verified in one read: no entry is reported twice', async () => {
		const dataDir = await demoGateway({tenants: 1});
		const {source} = await backupOf(dataDir);
		const reported: string[] = [];
		const result = await verifyBackup(source, {onProgress: progress => reported.push(progress.current)});
		expect(result.problems).toEqual([]);
		const twice = reported.filter((entry, index) => reported.indexOf(entry) !== index);
		// Failed before 1a2ae2c: the tables before memory/daily-logs/<second day> are read (and reported) twice.
		expect(twice).toEqual([]);
	});

	it('is planned in one pass: the plan progress never goes back', async () => {
		const dataDir = await demoGateway({tenants: 1});
		const {source} = await backupOf(dataDir);
		const rows: number[] = [];
		await planRestore({source, dataDir: copyGateway(dataDir), skipVerify: true, onProgress: progress => progress.phase === 'plan' && rows.push(progress.rows)});
		const back = rows.filter((count, index) => index > 0 && count < rows[index - 1]!);
		// Failed before 1a2ae2c: the first pass stopped at the second day of logs and a second pass starts from 0 rows.
		expect(back).toEqual([]);
	});
});
