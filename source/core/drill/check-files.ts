import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import type {BackupManifest} from '../archive/archive-format.js';
import {formatBytes, countOf} from '../format.js';
import {fileTarget, routeEntry} from '../restore/archive-routes.js';
import {IDENTITY_MAPPER} from '../restore/id-map.js';
import {agentFilePolicy} from '../store/agent-files.js';
import type {CheckOutcome} from './check-runner.js';

async function sha256Of(file: string): Promise<string> {
	const hash = crypto.createHash('sha256');
	await pipeline(fs.createReadStream(file), hash);
	return hash.digest('hex');
}

/** Files of the scratch data dir ('/'-separated, relative), its database folder aside. */
function restoredFiles(root: string): Set<string> {
	const out = new Set<string>();
	const walk = (dir: string, prefix: string) => {
		for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
			const relative = `${prefix}${entry.name}`;
			if (relative === 'data') continue;
			if (entry.isDirectory()) walk(path.join(dir, entry.name), `${relative}/`);
			else out.add(relative);
		}
	};
	walk(root, '');
	return out;
}

/** Where each loose file of the manifest lands in a data dir, as restore places it (archive-routes.ts, no remapping). */
function expectedTargets(manifest: BackupManifest): {targets: Map<string, {archivePath: string; sha256: string; size: number}>; skipped: number} {
	const targets = new Map<string, {archivePath: string; sha256: string; size: number}>();
	let skipped = 0;
	for (const file of manifest.files) {
		const route = routeEntry(file.path);
		if (route.kind !== 'agent-file' && route.kind !== 'document-file' && route.kind !== 'document-text' && route.kind !== 'gateway-file') continue;
		// Agent files other than prose and JSON are never restored (agent-files.ts); backups do not hold them.
		if (route.kind === 'agent-file' && agentFilePolicy(route.rest) === 'skip') {
			skipped++;
			continue;
		}
		targets.set(fileTarget(route, IDENTITY_MAPPER), {archivePath: file.path, sha256: file.sha256, size: file.size});
	}
	return {targets, skipped};
}

/**
 * Every file the backup holds is in the scratch data dir where restore puts it, with the SHA-256
 * the manifest lists, and the restore wrote no other file. Names the first mismatch.
 */
export async function checkFiles(scratch: string, manifest: BackupManifest, onProgress?: (text: string) => void): Promise<CheckOutcome> {
	const {targets, skipped} = expectedTargets(manifest);
	const present = restoredFiles(scratch);
	let bytes = 0;
	let done = 0;
	for (const [target, expected] of targets) {
		if (!present.has(target)) return {ok: false, detail: `${target}: missing after the restore (${expected.archivePath} in the backup)`};
		const actual = await sha256Of(path.join(scratch, ...target.split('/')));
		if (actual !== expected.sha256) return {ok: false, detail: `${target}: SHA-256 ${actual.slice(0, 12)}… differs from the manifest's ${expected.sha256.slice(0, 12)}… (${expected.archivePath})`};
		bytes += expected.size;
		if (++done % 100 === 0) onProgress?.(`Checking files: ${countOf(done, 'file')} of ${targets.size}`);
	}
	for (const file of present) {
		if (!targets.has(file)) return {ok: false, detail: `${file}: restored but not in the backup's manifest`};
	}
	const notRestored = skipped > 0 ? `; ${countOf(skipped, 'agent file')} of a kind restore never writes left out` : '';
	return {ok: true, detail: `${countOf(targets.size, 'file')}, ${formatBytes(bytes)} match the manifest's SHA-256${notRestored}`};
}
