/**
 * Restore benchmarks through the CLI (what an operator runs), against a POPULATED gateway: the
 * backup holds `rows` memory entries (seed 7) and the live gateway the same ids with other
 * content (seed 8), so every entry is a conflict the restore compares and (replace) rewrites.
 * The backup and the populated gateway are built once per size and kept in `workDir`; each timed
 * run works on a fresh copy of the populated gateway (the copy is not timed).
 */
import fs from 'node:fs';
import path from 'node:path';
import {createBackup} from '../core/backup/create-backup.js';
import {buildMemoryGateway} from './bench-restore-plan.js';
import {asInstalled, lifeboat, medianOf, medianRun, timeCommand, type Run} from './bench-tools.js';

/**
 * The least work any restore of the same rows does (restore-floor.ts, run as its own process on
 * its own fresh copy, interleaved with the restore's runs): wall seconds of the whole process, and
 * the part of it spent reading the archive's rows and in SQLite (medians).
 */
export type RestoreFloor = {seconds: number; archiveSeconds: number; sqliteSeconds: number};
export type RestoreBenchRun = {rows: number; seconds: number; peakRssKb: number; floor?: RestoreFloor};

const floorScript = new URL('restore-floor.js', import.meta.url).pathname;

async function floorRun(mode: 'dry-run' | 'replace', backup: string, database: string, rows: number): Promise<RestoreFloor> {
	const [command, args] = asInstalled(floorScript, [mode, backup, database]);
	const run = await timeCommand(`${mode} floor of ${rows} rows`, command, args, undefined);
	const parts = JSON.parse(run.stdout) as {archiveSeconds: number; sqliteSeconds: number; rows: number};
	if (parts.rows !== rows) throw new Error(`the ${mode} floor read ${parts.rows} rows, expected ${rows}`);
	return {seconds: run.seconds, archiveSeconds: parts.archiveSeconds, sqliteSeconds: parts.sqliteSeconds};
}

function medianFloor(floors: RestoreFloor[]): RestoreFloor | undefined {
	if (floors.length === 0) return undefined;
	return {seconds: medianOf(floors.map(floor => floor.seconds)), archiveSeconds: medianOf(floors.map(floor => floor.archiveSeconds)), sqliteSeconds: medianOf(floors.map(floor => floor.sqliteSeconds))};
}

type Fixture = {backup: string; populated: string};

/** The backup (zip of users, agents, memory) and the populated gateway it is restored onto, built once. */
async function fixture(workDir: string, rows: number): Promise<Fixture> {
	fs.mkdirSync(workDir, {recursive: true});
	const backup = path.join(workDir, `restore-${rows}.zip`);
	const populated = path.join(workDir, `populated-${rows}`);
	if (!fs.existsSync(backup)) {
		const source = path.join(workDir, `source-${rows}`);
		fs.rmSync(source, {recursive: true, force: true});
		buildMemoryGateway(source, rows, 7);
		await createBackup({dataDir: source, out: `${backup}.partial.zip`, format: 'zip', categories: ['users', 'agents', 'memory']});
		fs.renameSync(`${backup}.partial.zip`, backup);
		fs.rmSync(source, {recursive: true, force: true});
	}
	if (!fs.existsSync(path.join(populated, 'data', 'gateway.db'))) {
		fs.rmSync(populated, {recursive: true, force: true});
		buildMemoryGateway(populated, rows, 8);
	}
	return {backup, populated};
}

function freshCopy(populated: string, target: string): void {
	fs.rmSync(target, {recursive: true, force: true});
	fs.cpSync(populated, target, {recursive: true});
}

/** `backup restore --mode replace --yes` of `rows` memory entries over a populated gateway, through the CLI; medians of `repeat` runs. */
export async function benchReplaceRestore(workDir: string, rows = 1_000_000, repeat = 1): Promise<RestoreBenchRun> {
	const {backup, populated} = await fixture(workDir, rows);
	const target = path.join(workDir, `replace-${rows}`);
	const runs: Run[] = [];
	const floors: RestoreFloor[] = [];
	try {
		for (let round = 0; round < repeat; round++) {
			freshCopy(populated, target);
			floors.push(await floorRun('replace', backup, path.join(target, 'data', 'gateway.db'), rows));
			freshCopy(populated, target);
			const [command, args] = lifeboat(['backup', 'restore', '--in', backup, '--data-dir', target, '--mode', 'replace', '--yes', '--json']);
			const run = await timeCommand(`replace restore of ${rows} rows`, command, args, undefined);
			const result = JSON.parse(run.stdout) as {applied?: {conflicts?: number}};
			if (result.applied?.conflicts !== rows) throw new Error(`replace restore replaced ${result.applied?.conflicts ?? 0} conflicting rows, expected ${rows}`);
			runs.push(run);
		}
	} finally {
		fs.rmSync(target, {recursive: true, force: true});
	}
	const {seconds, peakRssKb} = medianRun(runs);
	return {rows, seconds, peakRssKb, floor: medianFloor(floors)};
}

/** `backup restore --dry-run` of `entries` memory entries against a populated gateway, through the CLI; medians of `repeat` runs. */
export async function benchCliDryRun(workDir: string, entries = 1_000_000, repeat = 1): Promise<RestoreBenchRun> {
	const {backup, populated} = await fixture(workDir, entries);
	const target = path.join(workDir, `dry-run-${entries}`);
	freshCopy(populated, target);
	const runs: Run[] = [];
	const floors: RestoreFloor[] = [];
	try {
		for (let round = 0; round < repeat; round++) {
			floors.push(await floorRun('dry-run', backup, path.join(target, 'data', 'gateway.db'), entries));
			const [command, args] = lifeboat(['backup', 'restore', '--in', backup, '--data-dir', target, '--dry-run', '--json']);
			const run = await timeCommand(`dry run of ${entries} entries`, command, args, undefined);
			const plan = (JSON.parse(run.stdout) as {plan: {categories: Array<{category: string; conflicts: number}>}}).plan;
			const memory = plan.categories.find(category => category.category === 'memory');
			if (memory?.conflicts !== entries) throw new Error(`dry run counted ${memory?.conflicts ?? 0} conflicting memory entries, expected ${entries}`);
			runs.push(run);
		}
	} finally {
		fs.rmSync(target, {recursive: true, force: true});
	}
	const {seconds, peakRssKb} = medianRun(runs);
	return {rows: entries, seconds, peakRssKb, floor: medianFloor(floors)};
}
