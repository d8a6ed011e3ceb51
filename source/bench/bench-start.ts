/**
 * Console start: the time from `node dist/cli.js` (with the installed binary's Node flags) to the
 * first frame that shows Home, on a real pseudo-terminal (a detached tmux session on its own
 * socket, 80x24). The session first runs a shell that waits for one line, so tmux's own start-up
 * is not counted: the clock starts when that line is sent and the shell execs node. The frame
 * is seen in the pane's output as tmux reads it (`pipe-pane` to a file, read every millisecond):
 * watching spawns nothing, where polling `capture-pane` started a tmux client per look, and on
 * two cores those took CPU from the very start being timed (a program that prints Home at once
 * measured ~190 ms that way; the console's figure grew with its own length, by up to 70 %).
 *
 *   node dist/bench/bench-start.js [--runs 7]
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {generateDemo} from '../core/demo/generate-demo.js';
import {readShebang} from './bench-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'cli.js');

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function tmux(socket: string, args: string[]): string {
	const result = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], {encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
	return result.stdout;
}

/** The pane's text as it is now (for a run that timed out). */
function capture(socket: string): string {
	return spawnSync('tmux', ['-L', socket, '-f', '/dev/null', 'capture-pane', '-p', '-t', 'start'], {encoding: 'utf8'}).stdout;
}

/** What a terminal shows of `output`: its escape sequences removed. */
const visibleText = (output: string) => output.replace(/\u001B\[[0-9;?]*[A-Za-z]|\u001B[()][0-9A-Za-z]|\u001B[=>78]/g, '');

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * One run of `script` (with the installed binary's environment and Node flags): milliseconds from
 * exec to the first frame containing `Home` in the pane's output.
 */
async function oneRun(work: string, script: string, args: readonly string[], unset: readonly string[] = [], timeoutMs = 20_000): Promise<number> {
	const socket = `lifeboat-start-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	const output = path.join(work, `${socket}.out`);
	const {env, flags} = readShebang(cli);
	const node = ['env', ...unset.flatMap(name => ['-u', name]), ...env, process.execPath, ...flags, script, ...args].map(quote).join(' ');
	try {
		tmux(socket, ['new-session', '-d', '-s', 'start', '-x', '80', '-y', '24', `read go; exec ${node}`]);
		tmux(socket, ['set-option', '-t', 'start', 'status', 'off']);
		tmux(socket, ['pipe-pane', '-t', 'start', '-o', `cat >> ${quote(output)}`]);
		const started = process.hrtime.bigint();
		tmux(socket, ['send-keys', '-t', 'start', 'Enter']);
		for (;;) {
			const text = fs.existsSync(output) ? fs.readFileSync(output, 'utf8') : '';
			const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
			if (/\bHome\b/.test(visibleText(text))) return elapsed;
			if (elapsed > timeoutMs) throw new Error(`the console showed no Home within ${timeoutMs} ms:\n${capture(socket)}`);
			await sleep(1);
		}
	} finally {
		spawnSync('tmux', ['-L', socket, '-f', '/dev/null', 'kill-server'], {stdio: 'ignore'});
	}
}

/** Medians of the console's and Node's own starts without NODE_EXTRA_CA_CERTS (measured only where the environment sets it). */
export type WithoutExtraCerts = {medianMs: number; nodeMedianMs: number};

export type StartResult = {medianMs: number; runs: number[]; nodeMedianMs: number; nodeRuns: number[]; withoutExtraCerts?: WithoutExtraCerts};

const median = (times: readonly number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

/**
 * First-frame times of `runs` warm starts of the console (one discarded warm-up first) and their
 * median; interleaved with as many starts of Node itself, the baseline of the same run: an ES
 * module that prints Home at once, started the same way (the shebang's environment and flags,
 * and whatever the machine's environment adds to every Node start, such as NODE_EXTRA_CA_CERTS,
 * which makes Node read a certificate file before any code runs). Where the environment sets
 * NODE_EXTRA_CA_CERTS, both are also started without it, interleaved with the others: Node 20
 * parses that whole file at every start (~40 ms for a system bundle of ~140 certificates on the
 * machine the readme's figures come from), a cost of the host's setting that a reader may not share.
 */
export async function consoleStartBench(runs = Number(process.env['LIFEBOAT_START_RUNS'] ?? 7)): Promise<StartResult> {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-start-'));
	try {
		const dataDir = path.join(work, 'gateway');
		const backupDir = path.join(work, 'backups');
		fs.mkdirSync(backupDir);
		await generateDemo({dir: dataDir});
		const bare = path.join(work, 'home.mjs');
		fs.writeFileSync(bare, "process.stdout.write('Lifeboat · Home\\n');\n");
		const withCerts = Boolean(process.env['NODE_EXTRA_CA_CERTS']);
		const unset = ['NODE_EXTRA_CA_CERTS'];
		const consoleRun = (without = false) => oneRun(work, cli, ['--data-dir', dataDir, '--dest', backupDir], without ? unset : []);
		const nodeRun = (without = false) => oneRun(work, bare, [], without ? unset : []);
		await consoleRun();
		await nodeRun();
		const times: number[] = [];
		const nodeTimes: number[] = [];
		const timesWithout: number[] = [];
		const nodeTimesWithout: number[] = [];
		for (let index = 0; index < runs; index++) {
			times.push(Math.round(await consoleRun()));
			nodeTimes.push(Math.round(await nodeRun()));
			if (!withCerts) continue;
			timesWithout.push(Math.round(await consoleRun(true)));
			nodeTimesWithout.push(Math.round(await nodeRun(true)));
		}
		const withoutExtraCerts = withCerts ? {withoutExtraCerts: {medianMs: median(timesWithout), nodeMedianMs: median(nodeTimesWithout)}} : {};
		return {medianMs: median(times), runs: times, nodeMedianMs: median(nodeTimes), nodeRuns: nodeTimes, ...withoutExtraCerts};
	} finally {
		fs.rmSync(work, {recursive: true, force: true});
	}
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const index = process.argv.indexOf('--runs');
	const result = await consoleStartBench(index === -1 ? undefined : Number(process.argv[index + 1]));
	const without = result.withoutExtraCerts ? `; without NODE_EXTRA_CA_CERTS: console ${result.withoutExtraCerts.medianMs} ms, Node itself ${result.withoutExtraCerts.nodeMedianMs} ms` : '';
	process.stdout.write(`console first frame: median ${result.medianMs} ms (runs ${result.runs.join(', ')}); Node itself: median ${result.nodeMedianMs} ms (runs ${result.nodeRuns.join(', ')})${without}\n`);
}
