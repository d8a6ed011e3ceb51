/**
 * `npm run bench`: builds reference gateways (default ~1 GiB and a small one: half incompressible
 * binaries, half log text, plus a medium demo's rows), then times, in interleaved rounds (A B C A
 * B C …), `tar czf` of each gateway (the baseline), `tar | pigz` and `tar --zstd` of the main one,
 * and Lifeboat's backups and verifies of the same data; each row is the median of `--repeat`
 * rounds, compared only with the `tar czf` of its own gateway from the same rounds, with CPU/wall
 * and peak RSS. Then the listing, restore and console-start benchmarks, and the Targets block of
 * issue 13 (each target beside its figure and baseline, met or missed).
 *
 *   npm run bench -- --size-mb 1024 --repeat 3
 *   npm run bench -- --quick        (64 MiB, 1 round, 100,000 rows, 1,000 backups: a smoke run)
 *   npm run bench -- --size-mb-large 4096   (also a 4 GiB gateway, for flat memory; slow)
 *   npm run bench -- --markdown     (the report as the readme's markdown)
 *   npm run bench -- --readme-out readme.md   (regenerates the readme's Performance figures)
 *   npm run bench -- --rows N --list-count N   (restore rows / backups listed)
 *   npm run bench -- --zip64        (a > 4 GiB zip checked with unzip -t; slow)
 *   npm run bench -- --remote [--remote-size-mb 2048]   (a local folder vs a local S3 server)
 *   npm run bench -- --incremental [--size-mb N]   (only the incremental figure: full, then 1 % changed)
 *   LIFEBOAT_BENCH_DIR=/big/disk npm run bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {argument, benchWorkDir, buildGateway, hasProgram} from './bench-tools.js';
import {incrementalLines} from './bench-incremental.js';
import {watchOtherWork} from './other-work.js';
import {benchFormats, createCase, runInterleaved, toolCases, verifyCase, type Case, type Gateway} from './bench-cases.js';
import {measureExtras} from './bench-extras.js';
import {markdownReport, spliceReadme, textReport, type ReportInput} from './bench-report.js';

async function runZip64Check(): Promise<void> {
	const {zip64Check} = await import('./zip64-check.js');
	process.stdout.write((await zip64Check(benchWorkDir())).join('\n') + '\n');
}

const progress = (text: string) => process.stderr.write(`${text}\n`);

type Options = {quick: boolean; sizeMb: number; largeMb: number | undefined; repeat: number; rows: number; listCount: number; cores: number};

function options(): Options {
	const quick = process.argv.includes('--quick');
	const number = (flag: string, fallback: number) => Number(argument(flag) ?? fallback);
	const sizeMb = number('--size-mb', Number(process.env['LIFEBOAT_BENCH_MB'] ?? (quick ? 64 : 1024)));
	const large = argument('--size-mb-large');
	// Medians of 3: single runs on a shared 2-core machine vary ~5 %.
	const repeat = Math.max(1, number('--repeat', quick ? 1 : 3));
	return {quick, sizeMb, largeMb: large ? Number(large) : undefined, repeat, rows: number('--rows', quick ? 100_000 : 1_000_000), listCount: number('--list-count', quick ? 1000 : 10_000), cores: os.cpus().length};
}

async function gateway(work: string, key: string, megabytes: number, seed: number): Promise<Gateway> {
	const dir = path.join(work, `gateway-${megabytes}mb`);
	const bytes = await buildGateway(dir, megabytes, seed);
	return {key, title: `${megabytes} MiB`, dir, bytes};
}

/** The create cases of every gateway (all formats on the main one, zip on the others) and their verifies. */
function lifeboatCases(main: Gateway, others: Gateway[], out: string, passphraseFile: string): {create: Case[]; verify: Case[]} {
	const create: Case[] = [];
	for (const format of benchFormats()) create.push(createCase(main, out, format), createCase(main, out, format, passphraseFile));
	create.push(createCase(main, out, 'dir'));
	for (const other of others) create.push(createCase(other, out, 'zip'));
	const verifiable = create.filter(item => item.format === 'zip' || (item.gateway === main && item.format !== 'dir' && !item.encrypted));
	return {create, verify: verifiable.map(item => verifyCase(item, passphraseFile))};
}

async function measure(settings: Options): Promise<ReportInput> {
	const otherWork = watchOtherWork();
	const work = benchWorkDir();
	const out = path.join(work, 'out');
	fs.rmSync(out, {recursive: true, force: true});
	fs.mkdirSync(out);
	const passphraseFile = path.join(work, 'passphrase');
	fs.writeFileSync(passphraseFile, 'bench passphrase\n');
	const main = await gateway(work, 'main', settings.sizeMb, 1);
	const others = [await gateway(work, 'small', Math.max(8, Math.round(settings.sizeMb / 100)), 2)];
	if (settings.largeMb) others.push(await gateway(work, 'large', settings.largeMb, 3));
	const {create, verify} = lifeboatCases(main, others, out, passphraseFile);
	const tools = [...toolCases(main, out, settings.cores, true), ...others.flatMap(other => toolCases(other, out, settings.cores, false))];
	progress(`Timing backups (${settings.repeat} interleaved round${settings.repeat === 1 ? '' : 's'})…`);
	const created = await runInterleaved([...tools, ...create], settings.repeat, progress);
	progress('Timing verifies…');
	const verified = await runInterleaved(verify, settings.repeat, progress);
	const notes: string[] = [];
	if (!hasProgram('pigz')) notes.push(`tar | pigz -p ${settings.cores}: pigz not installed`);
	if (!hasProgram('zstd')) notes.push('tar --zstd: zstd not installed');
	const extras = await measureExtras(work, {rows: settings.rows, listCount: settings.listCount, repeat: settings.repeat}, progress);
	if (!settings.quick) notes.push(...(await incrementalLines(work, main.dir)).lines);
	fs.rmSync(out, {recursive: true, force: true});
	return {measured: [...created, ...verified], extras, repeat: settings.repeat, cores: settings.cores, otherWork: otherWork(), counts: {rows: settings.rows, listCount: settings.listCount}, notes};
}

async function main(): Promise<void> {
	if (process.argv.includes('--help')) {
		const usage = fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/', 1)[0]!;
		process.stdout.write(usage.replace(/^\/\*\*\n| \*\/?/gm, '') + '\n');
		return;
	}
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
	const settings = options();
	const input = await measure(settings);
	const readmeOut = argument('--readme-out');
	if (readmeOut) {
		fs.writeFileSync(readmeOut, spliceReadme(fs.readFileSync(readmeOut, 'utf8'), markdownReport(input)));
		progress(`Wrote the Performance figures into ${readmeOut}`);
	}
	process.stdout.write((process.argv.includes('--markdown') ? markdownReport(input) : textReport(input)).join('\n') + '\n');
	progress(`(reference gateways kept in ${benchWorkDir()} for the next run; delete it to rebuild)`);
}

await main();
