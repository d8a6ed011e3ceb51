/**
 * What the bench modes share: flags, timing a command (wall time and peak RSS), the lifeboat
 * command line, the reference gateway and table rows.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {generateDemo} from '../core/demo/generate-demo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'cli.js');
const rssReporter = path.join(here, 'rss-reporter.js');

/** One timed run: wall seconds, user+sys CPU seconds of the process and every descendant it waited for. */
export type Run = {label: string; seconds: number; cpuSeconds: number; outputBytes: number; peakRssKb: number};

export function argument(name: string): string | undefined {
	const index = process.argv.indexOf(name);
	return index === -1 ? undefined : process.argv[index + 1];
}

/** The bench's work folder (LIFEBOAT_BENCH_DIR, else ./bench-work), created. */
export function benchWorkDir(): string {
	const work = path.resolve(process.env['LIFEBOAT_BENCH_DIR'] ?? 'bench-work');
	fs.mkdirSync(work, {recursive: true});
	return work;
}

/** Peak RSS of a process tree, sampled from /proc (for tools we cannot instrument, like tar). */
export function treeRssKb(pid: number): number {
	let total = 0;
	const visit = (id: number) => {
		try {
			const status = fs.readFileSync(`/proc/${id}/status`, 'utf8');
			total += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
			for (const task of fs.readdirSync(`/proc/${id}/task`)) {
				const children = fs.readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim();
				for (const child of children ? children.split(/\s+/) : []) visit(Number(child));
			}
		} catch {
			// The process ended between two reads.
		}
	};
	visit(pid);
	return total;
}

/** The run of median wall time (the lower middle one of an even count). */
export function median<T extends {seconds: number}>(runs: T[]): T {
	const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
	return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The median of some numbers (the lower middle one of an even count). */
export function medianOf(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Each figure of a case repeated: wall time, CPU and output of the run of median wall time, and
 * the median of the runs' peak RSS (one run's peak is as noisy as its time: a single sample of
 * it put the same create at 94 or 101 MB).
 */
export function medianRun<T extends {seconds: number; peakRssKb: number}>(runs: T[]): T {
	return {...median(runs), peakRssKb: medianOf(runs.map(run => run.peakRssKb))};
}

/**
 * The child runs under `/bin/sh`, which prints its children's user and system CPU (`times`, the
 * kernel's RUSAGE_CHILDREN: every descendant waited for, so gzip under tar, both sides of a
 * pipe, zstd under lifeboat and lifeboat's worker threads all count) to a file once it exits.
 */
const CPU_WRAPPER = '"$@"; status=$?; times > "$LIFEBOAT_TIMES_FILE"; exit $status';

/** Children's user + sys seconds from `times`'s second line (`0m1.230000s 0m0.100000s`). */
function childCpuSeconds(text: string): number {
	const line = text.trim().split('\n')[1] ?? '';
	let total = 0;
	for (const match of line.matchAll(/(\d+)m([\d.]+)s/g)) total += Number(match[1]) * 60 + Number(match[2]);
	return total;
}

export type TimeOptions = {
	env?: NodeJS.ProcessEnv;
	/** Called at each RSS sample (every 25 ms) with the seconds since the start. */
	onSample?: (seconds: number) => void;
};

/**
 * Runs a command once: wall time, CPU time (see CPU_WRAPPER), its stdout, and peak RSS (the process's own exact figure for a
 * lifeboat run, see rss-reporter.ts; else its process tree sampled from /proc). `output` is the
 * file whose size is reported, if any.
 */
export async function timeCommand(label: string, command: string, args: string[], output: string | undefined, options: TimeOptions = {}): Promise<Run & {stdout: string}> {
	const rssFile = path.join(os.tmpdir(), `lifeboat-bench-rss-${process.pid}-${Date.now()}`);
	const timesFile = `${rssFile}-times`;
	const started = process.hrtime.bigint();
	const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
	const env = {...process.env, ...options.env, LIFEBOAT_RSS_FILE: rssFile, LIFEBOAT_TIMES_FILE: timesFile};
	const child = spawn('/bin/sh', ['-c', CPU_WRAPPER, 'sh', command, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', chunk => (stdout += chunk));
	child.stderr.on('data', chunk => (stderr += chunk));
	let sampled = 0;
	const sampler = setInterval(() => {
		sampled = Math.max(sampled, treeRssKb(child.pid!));
		options.onSample?.(elapsed());
	}, 25);
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	clearInterval(sampler);
	const seconds = elapsed();
	if (code !== 0) throw new Error(`${label} failed (${code}): ${stderr.trim()}`);
	// Node children report their exact peak themselves; others use the /proc samples.
	const reported = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : 0;
	const cpuSeconds = fs.existsSync(timesFile) ? childCpuSeconds(fs.readFileSync(timesFile, 'utf8')) : 0;
	fs.rmSync(rssFile, {force: true});
	fs.rmSync(timesFile, {force: true});
	const outputBytes = output === undefined || fs.statSync(output).isDirectory() ? 0 : fs.statSync(output).size;
	return {label, seconds, cpuSeconds, outputBytes, peakRssKb: reported || sampled, stdout};
}

/** How the installed `lifeboat` starts: the environment and Node flags of its shebang line. */
export type Shebang = {env: string[]; flags: string[]};

/**
 * Parses dist/cli.js's `#!/usr/bin/env -S [NAME=value …] node [flags …]` line (env -S sets the
 * variables, then runs node with the flags).
 */
export function readShebang(file = cli): Shebang {
	const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0]!;
	const words = /^#!\/usr\/bin\/env -S\s+(.*)$/.exec(first)?.[1]!.trim().split(/\s+/) ?? [];
	const node = words.indexOf('node');
	if (node === -1) return {env: [], flags: []};
	return {env: words.slice(0, node).filter(word => /^[A-Za-z_]\w*=/.test(word)), flags: words.slice(node + 1)};
}

/**
 * The command line of a node script that reports its own peak RSS, run as the installed binary
 * runs: through `env` with its shebang's variables, and node with its flags.
 */
export function asInstalled(script: string, args: string[]): [string, string[]] {
	const {env, flags} = readShebang();
	return ['env', [...env, process.execPath, ...flags, '--import', rssReporter, script, ...args]];
}

/** The command line of a lifeboat run (asInstalled). */
export function lifeboat(args: string[]): [string, string[]] {
	return asInstalled(cli, args);
}

export function dirBytes(dir: string): number {
	let total = 0;
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		const full = path.join(dir, entry.name);
		total += entry.isDirectory() ? dirBytes(full) : fs.statSync(full).size;
	}
	return total;
}

/** Whether a program is on PATH. */
export function hasProgram(name: string): boolean {
	return (process.env['PATH'] ?? '').split(path.delimiter).some(dir => dir !== '' && fs.existsSync(path.join(dir, name)));
}

/** A reference gateway of ~`megabytes` MiB (half incompressible binaries, half log text), built once. */
export async function buildGateway(dir: string, megabytes: number, seed: number): Promise<number> {
	const bytes = megabytes * 1024 * 1024;
	if (!fs.existsSync(path.join(dir, 'data', 'gateway.db'))) {
		process.stderr.write(`Building a ${megabytes} MiB reference gateway in ${dir}…\n`);
		await generateDemo({dir, scale: 'medium', seed, extraDocumentBytes: Math.floor(bytes / 2), extraTextBytes: Math.floor(bytes / 2)});
	}
	return dirBytes(dir);
}

export function row(cells: Array<string | number>, widths: number[]): string {
	return cells.map((cell, index) => (index === 0 ? String(cell).padEnd(widths[index]!) : String(cell).padStart(widths[index]!))).join('  ');
}
