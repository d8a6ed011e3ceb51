/**
 * Listing benchmark: `count` small backups in one folder (three real ones, a zip, a tar.gz and an
 * encrypted zip, made once and hard-linked under `count` names; kept in `workDir` for the next
 * run), then `backup list --json` timed through the CLI, as the installed binary runs it, under
 * `ulimit -n 256`. `valid` and `total` say whether every one was listed and readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import {createBackup} from '../core/backup/create-backup.js';
import {generateDemo} from '../core/demo/generate-demo.js';
import {lifeboat, medianRun, timeCommand, type Run} from './bench-tools.js';

const SEEDS = [
	{name: 'seed-zip', format: 'zip', ext: 'zip', encrypted: false},
	{name: 'seed-targz', format: 'tar.gz', ext: 'tar.gz', encrypted: false},
	{name: 'seed-enc', format: 'zip', ext: 'zip.enc', encrypted: true},
] as const;

async function buildFolder(workDir: string, count: number): Promise<string> {
	const folder = path.join(workDir, `list-${count}`);
	const marker = path.join(folder, '.complete');
	if (fs.existsSync(marker)) return folder;
	fs.rmSync(folder, {recursive: true, force: true});
	const seedDir = path.join(workDir, 'list-seeds');
	fs.rmSync(seedDir, {recursive: true, force: true});
	const dataDir = path.join(seedDir, 'gateway');
	await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 5});
	const seeds: string[] = [];
	for (const seed of SEEDS) {
		const made = await createBackup({dataDir, destDir: seedDir, name: seed.name, format: seed.format, categories: ['tools'], ...(seed.encrypted ? {passphrase: 'bench list passphrase', kdfIterations: 1000} : {})});
		seeds.push(made.path);
	}
	fs.mkdirSync(folder, {recursive: true});
	for (let index = 0; index < count; index++) {
		const seed = index % SEEDS.length;
		fs.linkSync(seeds[seed]!, path.join(folder, `b-${String(index).padStart(6, '0')}.${SEEDS[seed]!.ext}`));
	}
	fs.writeFileSync(marker, '');
	return folder;
}

/** `backup list --json` of `count` backups under `ulimit -n 256`; medians of `repeat` runs, each checked. */
export async function listBench(workDir: string, count = 10000, repeat = 1): Promise<{seconds: number; peakRssKb: number; valid: number; total: number}> {
	const folder = await buildFolder(workDir, count);
	const [node, args] = lifeboat(['backup', 'list', '--json', '--dest', folder]);
	const runs: Array<Run & {valid: number; total: number}> = [];
	for (let round = 0; round < repeat; round++) {
		// The listing must hold under a low open-file limit: the shell lowers it, then becomes node.
		const run = await timeCommand('backup list', 'sh', ['-c', 'ulimit -n 256; exec "$@"', 'sh', node, ...args], undefined);
		const {backups} = JSON.parse(run.stdout) as {backups: Array<{error?: string; id?: string}>};
		runs.push({...run, valid: backups.filter(backup => !backup.error && backup.id).length, total: backups.length});
	}
	// Every run must find every backup valid: the figure shown is the worst run's count.
	const worst = runs.reduce((a, b) => (b.valid < a.valid ? b : a));
	const {seconds, peakRssKb} = medianRun(runs);
	return {seconds, peakRssKb, valid: worst.valid, total: worst.total};
}
