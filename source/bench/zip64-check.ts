/**
 * `npm run bench -- --zip64`: proves a backup over 4 GiB is a valid zip64 archive: the stock
 * `unzip -t` and Lifeboat's own verify both accept it, and peak RSS stays flat. Slow (minutes,
 * ~9 GiB of disk), so it is a bench mode, not a test.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {plainFileSource} from '../core/archive/archive-reader.js';
import {createBackup} from '../core/backup/create-backup.js';
import {verifyBackup} from '../core/backup/verify-backup.js';
import {generateDemo} from '../core/demo/generate-demo.js';
import {formatBytes, formatDuration} from '../core/format.js';

export async function zip64Check(work: string): Promise<string[]> {
	const dataDir = path.join(work, 'gateway-zip64');
	if (!fs.existsSync(path.join(dataDir, 'data', 'gateway.db'))) {
		process.stderr.write('Building a 4.3 GiB gateway for the zip64 check…\n');
		await generateDemo({dir: dataDir, tenants: 1, seed: 64, extraDocumentBytes: Math.round(4.3 * 1024 ** 3)});
	}
	const out = path.join(work, 'zip64-out');
	fs.rmSync(out, {recursive: true, force: true});
	const started = Date.now();
	const backup = await createBackup({dataDir, destDir: out, format: 'zip', name: 'zip64'});
	const wrote = Date.now() - started;
	const unzip = spawnSync('unzip', ['-tq', backup.path], {encoding: 'utf8'});
	const verifyStarted = Date.now();
	const verified = await verifyBackup(plainFileSource(backup.path));
	const zipinfo = execFileSync('zipinfo', ['-h', backup.path], {encoding: 'utf8'}).trim().split('\n').slice(-1)[0];
	fs.rmSync(out, {recursive: true, force: true});
	return [
		`zip64: ${formatBytes(backup.size)} archive written in ${formatDuration(wrote)}; peak RSS ${formatBytes(process.resourceUsage().maxRSS * 1024)}`,
		`zip64: unzip -t: ${unzip.status === 0 ? 'OK' : `FAILED (${unzip.stdout.trim()} ${unzip.stderr.trim()})`}; ${zipinfo}`,
		`zip64: lifeboat verify: ${verified.ok ? 'OK' : `FAILED: ${verified.problems.join('; ')}`} in ${formatDuration(Date.now() - verifyStarted)}`,
	];
}
