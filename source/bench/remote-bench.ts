/**
 * `npm run bench -- --remote [--remote-size-mb 2048]`: the same zip backup of a
 * reference gateway (default ~2 GiB) to a local folder and to a local S3 server (s3rver on
 * 127.0.0.1, its objects in the bench folder), then `backup list` and `backup download` of the
 * uploaded object. Wall time, MB/s and peak RSS of the lifeboat process alone (s3rver is the
 * bench's child, not lifeboat's). The S3 run's time is split, from s3rver's files, into the
 * streamed upload, s3rver joining the parts (CompleteMultipartUpload) and the read-back.
 * The issue's target: peak RSS under 200 MB.
 *
 * s3rver is a devDependency, started through the tests' child script
 * (test/servers/s3rver-child.cjs, which adds the multipart calls the S3 destination's cleanup
 * needs), so this mode runs from a clone, not from an installed package.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {formatBytes} from '../core/format.js';
import {argument, buildGateway, lifeboat, row, timeCommand, type Run} from './bench-tools.js';
import {spawnS3rver, waitUntilS3rverAnswers} from './s3rver-process.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const childScript = path.join(repoRoot, 'test', 'servers', 's3rver-child.cjs');
const BUCKET = 'bench';
const PREFIX = 'run/';
const RSS_TARGET_MB = 200;

type BenchS3 = {env: Record<string, string>; stop(): Promise<void>};

async function startBenchS3(dir: string): Promise<BenchS3> {
	if (!fs.existsSync(childScript)) throw new Error(`--remote needs ${path.relative(process.cwd(), childScript)} and the s3rver devDependency: run it from a clone of the repository`);
	const {child, port} = await spawnS3rver(childScript, dir, 0, [BUCKET]);
	const kill = () => child.kill('SIGKILL');
	process.once('exit', kill);
	await waitUntilS3rverAnswers(port);
	return {
		env: {AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', LIFEBOAT_S3_ENDPOINT: `http://127.0.0.1:${port}`},
		async stop() {
			process.off('exit', kill);
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise(resolve => child.once('exit', resolve));
				kill();
				await exited;
			}
		},
	};
}

/** When s3rver's files for an object appear: the object file once all parts are in (the join starts), its metadata once it is complete. */
function phaseWatcher(s3Dir: string, key: string): {onSample(seconds: number): void; partsIn?: number; complete?: number} {
	const base = path.join(s3Dir, BUCKET, ...key.split('/'));
	const watcher: {onSample(seconds: number): void; partsIn?: number; complete?: number} = {
		onSample(seconds) {
			if (watcher.partsIn === undefined && fs.existsSync(`${base}._S3rver_object`)) watcher.partsIn = seconds;
			if (watcher.complete === undefined && fs.existsSync(`${base}._S3rver_metadata.json`)) watcher.complete = seconds;
		},
	};
	return watcher;
}

type RemoteRuns = {local: Run; s3: Run; list: Run; download: Run; phases: {partsIn?: number; complete?: number}; listed: number; summaryError?: string};

/** (a) zip to a local folder, (b) the same to S3, (c) list the S3 prefix, (d) download the object. */
async function timeRemote(gateway: string, out: string, s3Dir: string, env: Record<string, string>): Promise<RemoteRuns> {
	const name = 'r-zip';
	const url = `s3://${BUCKET}/${PREFIX}`;
	process.stderr.write('Timing backup create to a local folder…\n');
	const localFile = path.join(out, `${name}.zip`);
	const local = await timeCommand('zip to a local folder', ...lifeboat(['backup', 'create', '--data-dir', gateway, '--dest', out, '--name', name, '--format', 'zip']), localFile);
	fs.rmSync(localFile, {force: true});
	process.stderr.write(`Timing backup create to ${url} (upload, then read back)…\n`);
	const phases = phaseWatcher(s3Dir, `${PREFIX}${name}.zip`);
	const s3 = await timeCommand(`zip to ${url}`, ...lifeboat(['backup', 'create', '--data-dir', gateway, '--dest', url, '--name', name, '--format', 'zip']), undefined, {env, onSample: seconds => phases.onSample(seconds)});
	process.stderr.write(`Timing backup list and backup download…\n`);
	const list = await timeCommand(`backup list --dest ${url}`, ...lifeboat(['backup', 'list', '--dest', url, '--json']), undefined, {env});
	const {backups} = JSON.parse(list.stdout) as {backups: Array<{path: string; size: number; error?: string}>};
	const listed = backups.find(backup => backup.path === `${url}${name}.zip`);
	if (!listed) throw new Error(`backup list --dest ${url} did not show ${name}.zip: ${list.stdout.slice(0, 500)}`);
	s3.outputBytes = listed.size;
	const downloaded = path.join(out, 'downloaded.zip');
	const download = await timeCommand('backup download to a file', ...lifeboat(['backup', 'download', `${url}${name}.zip`, '--out', downloaded]), downloaded, {env});
	return {local, s3, list, download, phases, listed: backups.length, summaryError: listed.error};
}

function reportRemote(sourceBytes: number, {local, s3, list, download, phases, listed, summaryError}: RemoteRuns): string[] {
	const mb = (bytes: number) => bytes / 1024 / 1024;
	const widths = [34, 9, 9, 10, 10];
	const line = (run: Run, bytes: number | undefined) => row([run.label, run.seconds.toFixed(1), bytes ? (mb(bytes) / run.seconds).toFixed(1) : '-', run.outputBytes ? formatBytes(run.outputBytes) : '-', formatBytes(run.peakRssKb * 1024)], widths);
	const peak = Math.max(local.peakRssKb, s3.peakRssKb, list.peakRssKb, download.peakRssKb) * 1024;
	const lines = [
		`Reference gateway: ${formatBytes(sourceBytes)} (half incompressible binaries, half log text, medium demo rows)`,
		`Machine: ${os.cpus().length} cores, Node ${process.version}; S3 server: s3rver on 127.0.0.1, same disk; single runs`,
		'',
		row(['run', 'seconds', 'MB/s', 'output', 'peak RSS'], widths),
		line(local, sourceBytes),
		line(s3, sourceBytes),
		line(list, undefined),
		line(download, download.outputBytes),
		'',
		'MB/s: of the gateway for the backups, of the archive for the download. Peak RSS: the lifeboat process alone.',
	];
	if (phases.partsIn !== undefined && phases.complete !== undefined) {
		const {partsIn, complete} = phases;
		lines.push(`S3 backup phases:   streamed upload ${partsIn.toFixed(1)} s (${(mb(sourceBytes) / partsIn).toFixed(1)} MB/s of the gateway), s3rver joining the parts ${(complete - partsIn).toFixed(1)} s, read-back check ${(s3.seconds - complete).toFixed(1)} s (${(mb(s3.outputBytes) / (s3.seconds - complete)).toFixed(1)} MB/s)`);
	}
	lines.push(`backup list:        ${listed} backup${listed === 1 ? '' : 's'} listed, ${summaryError ? `summary not read (${summaryError})` : 'with its summary'}`);
	// The stricter reading of the target: 200 million bytes (the table's MB are MiB).
	lines.push(`Peak RSS target:    ${formatBytes(peak)} (${(peak / 1e6).toFixed(0)} million bytes) at most: ${peak < RSS_TARGET_MB * 1e6 ? 'under' : 'OVER'} the ${RSS_TARGET_MB} MB target`);
	return lines;
}

export async function remoteBench(work: string): Promise<string[]> {
	const sizeMb = Number(argument('--remote-size-mb') ?? 2048);
	const gateway = path.join(work, `gateway-${sizeMb}mb`);
	const sourceBytes = await buildGateway(gateway, sizeMb, 1);
	const out = path.join(work, 'out-remote');
	const s3Dir = path.join(work, 's3rver');
	for (const dir of [out, s3Dir]) {
		fs.rmSync(dir, {recursive: true, force: true});
		fs.mkdirSync(dir);
	}
	const server = await startBenchS3(s3Dir);
	try {
		return reportRemote(sourceBytes, await timeRemote(gateway, out, s3Dir, server.env));
	} finally {
		await server.stop();
		fs.rmSync(out, {recursive: true, force: true});
		fs.rmSync(s3Dir, {recursive: true, force: true});
	}
}
