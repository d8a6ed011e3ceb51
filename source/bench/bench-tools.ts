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

export type Run = {label: string; seconds: number; outputBytes: number; peakRssKb: number};

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

/** Runs a command `repeat` times (removing its output in between) and keeps the median run. */
export async function timeMedian(repeat: number, label: string, command: string, args: string[], output: string): Promise<Run> {
	const runs: Run[] = [];
	for (let index = 0; index < repeat; index++) {
		if (index > 0) fs.rmSync(output, {recursive: true, force: true});
		runs.push(await timeCommand(label, command, args, output));
	}
	runs.sort((a, b) => a.seconds - b.seconds);
	return runs[Math.floor(runs.length / 2)]!;
}

export type TimeOptions = {
	env?: NodeJS.ProcessEnv;
	/** Called at each RSS sample (every 25 ms) with the seconds since the start. */
	onSample?: (seconds: number) => void;
};

/**
 * Runs a command once: wall time, its stdout, and peak RSS (the process's own exact figure for a
 * lifeboat run, see rss-reporter.ts; else its process tree sampled from /proc). `output` is the
 * file whose size is reported, if any.
 */
export async function timeCommand(label: string, command: string, args: string[], output: string | undefined, options: TimeOptions = {}): Promise<Run & {stdout: string}> {
	const rssFile = path.join(os.tmpdir(), `lifeboat-bench-rss-${process.pid}-${Date.now()}`);
	const started = process.hrtime.bigint();
	const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
	const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...options.env, LIFEBOAT_RSS_FILE: rssFile}});
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
	fs.rmSync(rssFile, {force: true});
	const outputBytes = output === undefined || fs.statSync(output).isDirectory() ? 0 : fs.statSync(output).size;
	return {label, seconds, outputBytes, peakRssKb: reported || sampled, stdout};
}

/** The Node flags the installed `lifeboat` runs with: those of dist/cli.js's `#!/usr/bin/env -S node …` line. */
function shebangFlags(): string[] {
	const first = fs.readFileSync(cli, 'utf8').split('\n', 1)[0]!;
	const match = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first);
	return match ? match[1]!.trim().split(/\s+/) : [];
}

/** The command line of a lifeboat run that reports its own peak RSS (with the installed binary's Node flags). */
export function lifeboat(args: string[]): [string, string[]] {
	return [process.execPath, [...shebangFlags(), '--import', rssReporter, cli, ...args]];
}

export function dirBytes(dir: string): number {
	let total = 0;
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		const full = path.join(dir, entry.name);
		total += entry.isDirectory() ? dirBytes(full) : fs.statSync(full).size;
	}
	return total;
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
