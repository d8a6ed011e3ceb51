import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {runDrill} from '../source/core/drill/run-drill.js';
import type {DrillCheck, DrillReport} from '../source/core/drill/drill-types.js';
import {backupOf, demoGateway} from './restore-support.js';
import {tempDir} from './helpers/temp-dir.js';

function statuses(report: DrillReport): Record<string, string> {
	return Object.fromEntries(report.checks.map(check => [check.id, check.status]));
}

describe('runDrill', () => {
	it('passes every check on a good zip backup of the demo gateway, and leaves no scratch folder', async () => {
		const live = await demoGateway();
		const backup = await backupOf(live);
		const scratchParent = tempDir('lifeboat-drill-scratch-');
		const seen: DrillCheck[] = [];
		const report = await runDrill({source: backup.source, location: backup.path, scratchParent, onCheck: check => seen.push(check)});
		expect(statuses(report)).toEqual({verify: 'pass', restore: 'pass', counts: 'pass', files: 'pass', integrity: 'pass', references: 'pass', opens: 'pass', live: 'skip'});
		expect(report.ok).toBe(true);
		expect(fs.readdirSync(scratchParent)).toEqual([]);
	}, 60_000);
});
