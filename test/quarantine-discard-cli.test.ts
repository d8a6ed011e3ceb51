import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {quarantinedWebhooks, query} from './restore-support.js';

let dataDir: string;
beforeAll(async () => {
	dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 5});
});

/** Every file under the restore's quarantine folder with its bytes: what "nothing changed" means. */
function quarantineFiles(live: string): Record<string, string> {
	const root = path.join(live, 'quarantine');
	const out: Record<string, string> = {};
	for (const name of fs.readdirSync(root, {recursive: true}) as string[]) {
		const full = path.join(root, name);
		if (fs.statSync(full).isFile()) out[name] = fs.readFileSync(full, 'base64');
	}
	return out;
}

describe('quarantine discard of more than one entry needs --yes (as accept does)', () => {
	it('without --yes: exit 2, one line saying to pass --yes, nothing discarded (whole restore, or several named entries); with --yes they go', () => {
		const {live, restoreId, ids} = quarantinedWebhooks(dataDir, 3);
		const before = quarantineFiles(live);
		const several = [[restoreId], [restoreId, `webhooks:${ids[0]}`, `webhooks:${ids[1]}`], [restoreId, ids[0]!, `webhooks:${ids[1]}`, ids[2]!]];
		for (const args of several) {
			expectOneLineError(runCli(['quarantine', 'discard', ...args, '--data-dir', live]), 2, /^lifeboat: Discarding \d entries of restore \S+ deletes the backup's versions for good: pass --yes to confirm/);
			const json = runCli(['quarantine', 'discard', ...args, '--data-dir', live, '--json']);
			expect(json.code).toBe(2);
			expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage', message: expect.stringContaining('--yes')}});
			expect(quarantineFiles(live)).toEqual(before);
		}
		// One entry, named: one decision, no --yes needed; the same entry named twice is still one.
		const one = runCli(['quarantine', 'discard', restoreId, `webhooks:${ids[2]}`, `webhooks:${ids[2]}`, '--data-dir', live, '--json']);
		expect(JSON.parse(one.stdout)).toEqual({ok: true, restoreId, discarded: 1, remaining: 2});
		const all = runCli(['quarantine', 'discard', restoreId, '--data-dir', live, '--yes', '--json']);
		expect(JSON.parse(all.stdout)).toEqual({ok: true, restoreId, discarded: 2, remaining: 0});
		// The live store keeps its own versions.
		expect(query<{name: string}>(live, `SELECT name FROM webhooks WHERE id IN (${ids.map(() => '?').join(',')})`, ...ids).map(row => row.name)).toEqual(['renamed live', 'renamed live', 'renamed live']);
	});

	it('a restore with a single quarantined entry is discarded without --yes', () => {
		const {live, restoreId} = quarantinedWebhooks(dataDir, 1);
		expect(JSON.parse(runCli(['quarantine', 'discard', restoreId, '--data-dir', live, '--json']).stdout)).toEqual({ok: true, restoreId, discarded: 1, remaining: 0});
	});
});
