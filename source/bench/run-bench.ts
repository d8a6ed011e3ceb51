/**
 * `npm run bench`: builds a reference gateway (default ~1 GiB: half incompressible binaries, half
 * log text, plus a medium demo's rows), then times Lifeboat against `tar czf` of the same data
 * dir in the same run, and prints MB/s, ratios and peak RSS. Figures, not pass/fail: the targets
 * (encryption <= 10 % time and < 0.1 % size, constant memory, 1M-entry dry-run < 10 s) are read
 * off the table.
 *
 *   npm run bench -- --size-mb 1024 --repeat 3
 *   npm run bench -- --zip64        (a > 4 GiB zip checked with unzip -t; slow)
 *   npm run bench -- --remote [--remote-size-mb 2048]   (a local folder vs a local S3 server)
 *   npm run bench -- --incremental [--size-mb N]   (only the incremental figure: full, then 1 % changed)
 *   LIFEBOAT_BENCH_DIR=/big/disk npm run bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {formatBytes} from '../core/format.js';
import {argument, benchWorkDir, buildGateway, lifeboat, row, timeCommand, timeMedian, type Run} from './bench-tools.js';
import {incrementalLines} from './bench-incremental.js';

async function runZip64Check(): Promise<void> {
	const {zip64Check} = await import('./zip64-check.js');
	process.stdout.write((await zip64Check(benchWorkDir())).join('\n') + '\n');
}

type Setup = {work: string; big: string; small: string; out: string; smallMb: number; repeat: number; bigBytes: number; smallBytes: number; passphraseFile: string};

/** The work folder, both reference gateways (built once, kept between runs) and the passphrase file. */
async function setUp(): Promise<Setup> {
	const sizeMb = Number(argument('--size-mb') ?? process.env['LIFEBOAT_BENCH_MB'] ?? 1024);
	const smallMb = Math.max(8, Math.round(sizeMb / 100));
	// Wall times are medians of `repeat` runs: single runs on a shared 2-core machine vary ~5 %.
	const repeat = Math.max(1, Number(argument('--repeat') ?? 3));
	const work = benchWorkDir();
	const big = path.join(work, `gateway-${sizeMb}mb`);
	const small = path.join(work, `gateway-${smallMb}mb`);
	const out = path.join(work, 'out');
	fs.rmSync(out, {recursive: true, force: true});
	fs.mkdirSync(out);
	const bigBytes = await buildGateway(big, sizeMb, 1);
	const smallBytes = await buildGateway(small, smallMb, 2);
	const passphraseFile = path.join(work, 'passphrase');
	fs.writeFileSync(passphraseFile, 'bench passphrase\n');
	return {work, big, small, out, smallMb, repeat, bigBytes, smallBytes, passphraseFile};
}

type Timed = Run & {file: string};
type Timings = {runs: Run[]; baseline: Run; zip: Timed; tarGz: Timed; zipEnc: Timed; tarGzEnc: Timed; smallZip: Timed};

/** tar czf (the baseline), then each lifeboat backup create variant, then verify. */
async function timeAll({big, small, out, smallMb, repeat, passphraseFile}: Setup): Promise<Timings> {
	const runs: Run[] = [];
	const create = async (label: string, dataDir: string, name: string, extra: string[]) => {
		const [command, args] = lifeboat(['backup', 'create', '--data-dir', dataDir, '--dest', out, '--name', name, ...extra]);
		const format = extra[extra.indexOf('--format') + 1];
		const file = path.join(out, `${name}.${format}${extra.includes('--passphrase-file') ? '.enc' : ''}`);
		const result = await timeMedian(repeat, label, command, args, file);
		runs.push(result);
		return {...result, file};
	};
	process.stderr.write('Timing tar czf (baseline)…\n');
	const tarFile = path.join(out, 'baseline.tar.gz');
	const baseline = await timeMedian(repeat, 'tar czf (baseline)', 'tar', ['czf', tarFile, '-C', big, '.'], tarFile);
	runs.push(baseline);
	process.stderr.write('Timing lifeboat backup create…\n');
	const zip = await create('lifeboat zip', big, 'b-zip', ['--format', 'zip']);
	const tarGz = await create('lifeboat tar.gz', big, 'b-tgz', ['--format', 'tar.gz']);
	const zipEnc = await create('lifeboat zip + encryption', big, 'b-zip-enc', ['--format', 'zip', '--passphrase-file', passphraseFile]);
	const tarGzEnc = await create('lifeboat tar.gz + encryption', big, 'b-tgz-enc', ['--format', 'tar.gz', '--passphrase-file', passphraseFile]);
	const smallZip = await create(`lifeboat zip, ${smallMb} MiB gateway`, small, 's-zip', ['--format', 'zip']);
	const [verifyCommand, verifyArgs] = lifeboat(['backup', 'verify', zip.file]);
	runs.push(await timeCommand('lifeboat verify (zip)', verifyCommand, verifyArgs, zip.file));
	return {runs, baseline, zip, tarGz, zipEnc, tarGzEnc, smallZip};
}

/** The table of runs and the overhead lines. */
function reportLines({bigBytes, smallBytes, repeat}: Setup, {runs, baseline, zip, tarGz, zipEnc, tarGzEnc, smallZip}: Timings): string[] {
	const mb = (bytes: number) => bytes / 1024 / 1024;
	const widths = [34, 9, 9, 10, 10, 12];
	const lines = [
		`Reference gateway: ${formatBytes(bigBytes)} (half incompressible binaries, half log text, medium demo rows); small: ${formatBytes(smallBytes)}`,
		`Machine: ${os.cpus().length} cores, Node ${process.version}; times are the median of ${repeat} run${repeat === 1 ? '' : 's'}`,
		'',
		row(['run', 'seconds', 'MB/s', 'vs tar', 'output', 'peak RSS'], widths),
	];
	for (const run of runs) {
		const sourceBytes = run.label.includes('MiB gateway') ? smallBytes : bigBytes;
		lines.push(
			row(
				[run.label, run.seconds.toFixed(1), (mb(sourceBytes) / run.seconds).toFixed(1), `${(baseline.seconds / run.seconds).toFixed(2)}x`, run.outputBytes ? formatBytes(run.outputBytes) : '-', formatBytes(run.peakRssKb * 1024)],
				widths,
			),
		);
	}
	const pct = (value: number) => `${(value * 100).toFixed(3)} %`;
	lines.push('');
	lines.push(`Encryption time overhead:  zip ${pct(zipEnc.seconds / zip.seconds - 1)}, tar.gz ${pct(tarGzEnc.seconds / tarGz.seconds - 1)}  (target <= 10 %)`);
	lines.push(`Encryption size overhead:  zip ${pct(zipEnc.outputBytes / zip.outputBytes - 1)}, tar.gz ${pct(tarGzEnc.outputBytes / tarGz.outputBytes - 1)}  (target < 0.1 %)`);
	lines.push(`Memory vs data size:       ${formatBytes(smallBytes)} -> ${formatBytes(smallZip.peakRssKb * 1024)} peak, ${formatBytes(bigBytes)} -> ${formatBytes(zip.peakRssKb * 1024)} peak (ratio ${(zip.peakRssKb / smallZip.peakRssKb).toFixed(2)} for ${(bigBytes / smallBytes).toFixed(0)}x the data)`);
	return lines;
}

/** Restore dry-run of 1,000,000 memory entries (issue target: under 10 s); undefined when the benchmark is absent. */
async function restorePlanLine(work: string): Promise<string | undefined> {
	try {
		// Resolved at run time: the restore benchmark lives beside this file once restore exists.
		const restoreBench = './bench-restore-plan.js';
		const {benchRestorePlan} = (await import(restoreBench)) as {benchRestorePlan?: (dir: string, entries?: number) => Promise<{entries: number; seconds: number}>};
		if (benchRestorePlan) {
			const entries = Number(argument('--plan-entries') ?? 1_000_000);
			process.stderr.write(`Timing a restore dry-run of ${entries.toLocaleString('en-US')} memory entries…\n`);
			const plan = await benchRestorePlan(path.join(work, 'restore-plan'), entries);
			return `Restore dry-run:           ${plan.entries.toLocaleString('en-US')} memory entries planned in ${plan.seconds.toFixed(1)} s (target < 10 s)`;
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
	}
	return undefined;
}

async function main(): Promise<void> {
	if (process.argv.includes('--zip64')) {
		await runZip64Check();
		return;
	}
	if (process.argv.includes('--remote')) {
		const {remoteBench} = await import('./remote-bench.js');
		process.stdout.write((await remoteBench(benchWorkDir())).join('\n') + '\n');
		return;
	}
	if (process.argv.includes('--incremental')) {
		// Only the incremental figure (a full and an incremental after 1 % changes).
		const sizeMb = Number(argument('--size-mb') ?? process.env['LIFEBOAT_BENCH_MB'] ?? 1024);
		const gateway = path.join(benchWorkDir(), `gateway-${sizeMb}mb`);
		await buildGateway(gateway, sizeMb, 1);
		process.stdout.write((await incrementalLines(benchWorkDir(), gateway)).lines.join('\n') + '\n');
		return;
	}
	const setup = await setUp();
	const lines = reportLines(setup, await timeAll(setup));
	lines.push(...(await incrementalLines(setup.work, setup.big)).lines);
	const plan = await restorePlanLine(setup.work);
	if (plan) lines.push(plan);
	process.stdout.write(lines.join('\n') + '\n');
	fs.rmSync(setup.out, {recursive: true, force: true});
	if (!process.argv.includes('--keep')) process.stderr.write(`(reference gateways kept in ${setup.work} for the next run; delete it to rebuild)\n`);
}

await main();
