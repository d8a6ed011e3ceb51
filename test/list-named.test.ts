import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {buildMemoryGateway} from '../source/bench/bench-restore-plan.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listDestination, listNamedBackup} from '../source/core/backup/list-backups.js';
import {openLocalDestination} from '../source/core/destinations/local.js';
import {PARTIAL_PREFIX} from '../source/core/destinations/local-publish.js';
import {tempDir} from './helpers/temp-dir.js';

/** One named backup read alone (the server's download and delete) is the row a listing of the folder has for it. */
let folder: string;

beforeAll(async () => {
	const root = tempDir('lifeboat-named-');
	const gateway = path.join(root, 'gateway');
	buildMemoryGateway(gateway, 20, 3);
	folder = path.join(root, 'backups');
	fs.mkdirSync(folder);
	for (const format of ['zip', 'tar.gz', 'json', 'dir'] as const) {
		await createBackup({dataDir: gateway, out: path.join(folder, `b-${format.replace('.', '')}${format === 'dir' ? '' : `.${format}`}`), format, categories: ['memory']});
	}
	fs.writeFileSync(path.join(folder, 'notes.json'), '{"not": "a backup"}');
	fs.writeFileSync(path.join(folder, 'damaged.zip'), 'PK\u0003\u0004 not really');
	fs.copyFileSync(path.join(folder, 'b-zip.zip'), path.join(folder, '.hidden.zip'));
	fs.copyFileSync(path.join(folder, 'b-zip.zip'), path.join(folder, `${PARTIAL_PREFIX}x.zip`));
	fs.mkdirSync(path.join(folder, 'plain-folder'));
});

describe('listNamedBackup', () => {
	it('answers each name in the folder exactly as the listing does, and nothing for a name it does not list', async () => {
		const destination = openLocalDestination(folder);
		const listed = await listDestination(destination, {summariesOnly: true});
		expect(listed.map(listing => listing.fileName).sort()).toEqual(['b-dir', 'b-json.json', 'b-targz.tar.gz', 'b-zip.zip', 'damaged.zip']);
		for (const name of fs.readdirSync(folder)) {
			const named = await listNamedBackup(destination, name, {summariesOnly: true});
			expect(named, name).toEqual(listed.find(listing => listing.fileName === name));
		}
		for (const name of ['', 'missing.zip', 'b-zip', '../backups/b-zip.zip', 'plain-folder/x.zip', '.', '..']) {
			expect(await listNamedBackup(destination, name), name).toBeUndefined();
		}
	});

	it('keeps the full metadata of a plain backup unless asked for summaries only', async () => {
		const destination = openLocalDestination(folder);
		expect((await listNamedBackup(destination, 'b-zip.zip'))?.metadata?.categories).toEqual(['memory']);
		expect((await listNamedBackup(destination, 'b-zip.zip', {summariesOnly: true}))?.metadata).toBeUndefined();
	});
});
