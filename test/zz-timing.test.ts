import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {applyRestore} from '../source/core/restore/index.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {gatewayModel, materialise, safeId, readTables} from './helpers/legal-gateway.js';

it('timing', async () => {
	const models = fc.sample(gatewayModel({ids: safeId, plainValues: true, plainNames: true, maxRows: 3}), {numRuns: 3, seed: 1});
	for (const model of models) {
		const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-timing-'));
		let t = performance.now();
		const lap = (label: string) => { const n = performance.now(); console.log(label, Math.round(n - t)); t = n; };
		const g = materialise(model, path.join(work, 's'));
		lap('materialise');
		readTables(g.dataDir); lap('readTables');
		for (const format of ['zip', 'tar.gz', 'dir'] as const) {
			const b = await createBackup({dataDir: g.dataDir, out: path.join(work, 'b-' + format.replace('.', '')), format});
			lap('backup ' + format);
			await verifyBackup(await openBackupSource(b.path)); lap('verify ' + format);
			const target = path.join(work, 't-' + format.replace('.', ''));
			createGateway(target).close(); lap('create');
			await applyRestore({source: await openBackupSource(b.path), dataDir: target, keyFile: fs.existsSync(path.join(g.dataDir, 'keys/backup.key')) ? path.join(g.dataDir, 'keys/backup.key') : undefined}); lap('restore ' + format);
		}
		const b = await createBackup({dataDir: g.dataDir, out: path.join(work, 'b.zip.enc'), format: 'zip', passphrase: 'x', kdfIterations: 1000}); lap('backup enc');
		fs.rmSync(work, {recursive: true, force: true});
	}
});
