import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {BackupMetadata} from '../archive/archive-format.js';
import {LifeboatError} from '../errors.js';
import {chmodPrivate, realPathOfDeepestAncestor} from '../private-fs.js';
import {postRestoreChecklist} from '../restore/checklist.js';
import {gatewayPaths} from '../store/gateway-paths.js';
import {openGateway} from '../store/gateway-store.js';
import {makePidScratch, sweepPidScratch} from '../pid-scratch.js';
import {checkCounts} from './check-counts.js';
import {checkFiles} from './check-files.js';
import {compareLive, liveOutcome} from './check-live.js';
import {checkReferences} from './check-references.js';
import {checkRestore, type Restored} from './check-restore.js';
import {CheckRunner} from './check-runner.js';
import {checkIntegrity, checkOpens} from './check-store.js';
import {checkVerify, type Verified} from './check-verify.js';
import type {CheckOutcome} from './check-runner.js';
import type {DrillLiveCategory, DrillOptions, DrillReport} from './drill-types.js';

/** Prefix of the scratch folders a drill makes (and removes) under scratchParent. */
export const SCRATCH_PREFIX = 'lifeboat-drill-';

/** Removes scratch folders in `parent` left by drills that were killed (their process is gone). */
export function sweepStaleScratch(parent: string): string[] {
	return sweepPidScratch(parent, SCRATCH_PREFIX);
}

/**
 * Usage problems, before anything is made: the live data dir must be a gateway (opened read-only),
 * and the scratch folder must not be made inside it.
 */
function checkPlaces(options: DrillOptions): string {
	const parent = path.resolve(options.scratchParent ?? os.tmpdir());
	if (options.liveDataDir !== undefined) {
		openGateway(options.liveDataDir, {readonly: true}).close();
		const live = realPathOfDeepestAncestor(options.liveDataDir);
		const scratch = realPathOfDeepestAncestor(parent);
		if (scratch === live || scratch.startsWith(live + path.sep)) {
			throw new LifeboatError('usage', `The drill's scratch folder would be inside the live data directory ${options.liveDataDir}; choose another (the drill never writes in the live data directory)`);
		}
	}
	if (!fs.statSync(parent, {throwIfNoEntry: false})?.isDirectory()) throw new LifeboatError('usage', `Scratch folder ${parent}: no such folder`);
	return parent;
}

/** The 2FA key: --key-file, else the live gateway's own key when there is one (read only), else none. */
function twoFactorKey(options: DrillOptions): string | undefined {
	if (options.keyFile !== undefined || options.liveDataDir === undefined) return options.keyFile;
	const key = gatewayPaths(options.liveDataDir).backupKey;
	return fs.statSync(key, {throwIfNoEntry: false})?.isFile() ? key : undefined;
}

/**
 * `lifeboat drill`: restores the backup into a private scratch data directory (removed
 * afterwards, whatever happens), checks the result, and with a live data directory compares the
 * backup with it (read-only). A failing check is reported, never thrown: only usage and I/O
 * problems (a live data dir that is not a gateway, no room for the scratch folder) and
 * cancellation throw.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
	const parent = checkPlaces(options);
	const startedAt = new Date();
	const runner = new CheckRunner(options);
	let scratch: string;
	sweepStaleScratch(parent);
	try {
		scratch = makePidScratch(parent, SCRATCH_PREFIX);
	} catch (error) {
		throw new LifeboatError('destination', `Cannot make the drill's scratch folder in ${parent} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {cause: error});
	}
	try {
		chmodPrivate(scratch);
		return await drill(options, runner, scratch, startedAt);
	} finally {
		fs.rmSync(scratch, {recursive: true, force: true, maxRetries: 3});
	}
}

async function drill(given: DrillOptions, runner: CheckRunner, scratch: string, startedAt: Date): Promise<DrillReport> {
	let opened: Awaited<ReturnType<NonNullable<DrillOptions['openChain']>>> | undefined;
	try {
		let options = given;
		const verify = async (verified: Verified) => {
			if (given.openChain) {
				opened = await given.openChain();
				options = {...given, source: opened.source};
			}
			return checkVerify(options, verified, opened?.chain);
		};
		return await drillChecks(() => options, verify, runner, scratch, startedAt);
	} finally {
		await opened?.close();
	}
}

async function drillChecks(current: () => DrillOptions, verify: (verified: Verified) => Promise<CheckOutcome>, runner: CheckRunner, scratch: string, startedAt: Date): Promise<DrillReport> {
	const verified: Verified = {};
	const restored: Restored = {};
	let live: DrillLiveCategory[] | null = null;
	const passed = await runner.run('verify', () => verify(verified));
	// An incremental's chain is read in the verify check: the other checks read its merged view.
	const options = current();
	const keyFile = twoFactorKey(options);
	if (!passed) {
		for (const check of runner.checks.slice(1)) runner.skip(check.id, 'the backup does not verify');
	} else {
		const metadata = verified.metadata!;
		const ok = await runner.run('restore', () => checkRestore(options, scratch, metadata, keyFile, restored));
		const result = restored.result;
		if (ok && result) {
			await runner.run('counts', () => checkCounts(scratch, metadata, result));
			await runner.run('files', () => checkFiles(scratch, verified.manifest!, options.onProgress));
			await runner.run('integrity', () => checkIntegrity(scratch));
			await runner.run('references', () => checkReferences(scratch, metadata));
			await runner.run('opens', () => checkOpens(scratch));
		} else {
			for (const id of ['counts', 'files', 'integrity', 'references', 'opens'] as const) runner.skip(id, 'the restore did not complete');
		}
		live = await runLive(options, runner, metadata, keyFile);
	}
	return buildReport(options, runner, {startedAt, metadata: verified.metadata, restored, live});
}

async function runLive(options: DrillOptions, runner: CheckRunner, metadata: BackupMetadata, keyFile: string | undefined): Promise<DrillLiveCategory[] | null> {
	const {liveDataDir} = options;
	if (liveDataDir === undefined) {
		runner.skip('live', 'no live data directory given (--data-dir)');
		return null;
	}
	let live: DrillLiveCategory[] | null = null;
	await runner.run('live', async () => {
		live = await compareLive(options, liveDataDir, keyFile);
		return liveOutcome(live, metadata.createdAt, Date.now());
	});
	return live;
}

type ReportInput = {startedAt: Date; metadata: BackupMetadata | undefined; restored: Restored; live: DrillLiveCategory[] | null};

function buildReport(options: DrillOptions, runner: CheckRunner, {startedAt, metadata, restored, live}: ReportInput): DrillReport {
	const finishedAt = new Date();
	const bytes = metadata?.totalBytes ?? 0;
	const restoreMs = restored.restoreMs ?? 0;
	const result = restored.result;
	const checklist = postRestoreChecklist(result ? {secretsToReenter: result.secretsToReenter, twoFactor: result.plan.twoFactor} : {secretsToReenter: metadata?.redacted ?? [], twoFactor: null});
	const report: DrillReport = {
		ok: runner.failed === undefined,
		startedAt: startedAt.toISOString(),
		finishedAt: finishedAt.toISOString(),
		backup: {
			id: metadata?.id ?? '',
			name: metadata?.name ?? path.basename(options.location),
			createdAt: metadata?.createdAt ?? '',
			location: options.location,
			format: metadata?.format ?? options.source.format,
			encrypted: metadata?.encrypted ?? false,
			bytes,
		},
		checks: runner.checks.map(check => ({...check})),
		rpo: {backupAgeMs: metadata ? Math.max(0, startedAt.getTime() - Date.parse(metadata.createdAt)) : 0, live},
		rto: {restoreMs, bytes, bytesPerSecond: restoreMs > 0 ? Math.round(bytes / (restoreMs / 1000)) : 0},
		checklist,
		warnings: result?.warnings ?? [],
	};
	if (runner.failed) report.failed = runner.failed;
	return report;
}
