import type {DrillCheck, DrillCheckId, DrillReport} from '../../core/drill/drill-types.js';
import {useConsole} from '../console-context.js';
import {describeError} from '../describe-error.js';
import {openBackupRef, type BackupRef} from '../destination-access.js';
import type {DrillReportFiles} from '../state/drill.js';
import {useTask} from './use-task.js';

/** How a drill run ended: the backup could not be opened, or it ran (its reports written, or why not). */
export type DrillOutcome =
	| {kind: 'open-failed'; error: string}
	| {kind: 'ran'; report: DrillReport; files?: DrillReportFiles | undefined; reportError?: string | undefined};

export type DrillRun = {
	ref: BackupRef;
	/** Where the backup is, as the report prints it (a path, or a URL without secrets). */
	location: string;
	passphrase?: string | undefined;
	/** The live data directory to compare with (read only), when the console has a gateway. */
	liveDataDir?: string | undefined;
	onCheck: (check: DrillCheck) => void;
};

/** The running check's progress text, and which check it was reported during. */
export type DrillProgress = {text: string; check: DrillCheckId | undefined};

/**
 * One drill: opens the backup (local or at a destination), runs the engine's drill on it with the
 * console's abort signal, then writes its reports where `reportDir` says. Callbacks of a run that
 * was cancelled or replaced are dropped.
 */
export function useDrill() {
	const {engine, env} = useConsole();
	const task = useTask<DrillOutcome, DrillProgress>();
	const start = (run: DrillRun, handlers: {onDone: (outcome: DrillOutcome) => void; onError: (error: string, cancelled: boolean) => void}) =>
		task.start(async (signal, onProgress) => {
			let opened: Awaited<ReturnType<typeof openBackupRef>>;
			try {
				opened = await openBackupRef(run.ref, run.passphrase, env);
			} catch (error) {
				return {kind: 'open-failed', error: describeError(error)};
			}
			let running: DrillCheckId | undefined;
			try {
				const report = await engine.runDrill({
					source: opened.source,
					location: run.location,
					...(run.passphrase === undefined ? {} : {passphrase: run.passphrase}),
					...(run.liveDataDir === undefined ? {} : {liveDataDir: run.liveDataDir}),
					signal,
					onCheck: check => {
						if (signal.aborted) return;
						running = check.status === 'running' ? check.id : undefined;
						run.onCheck(check);
					},
					onProgress: text => {
						if (!signal.aborted) onProgress({text, check: running});
					},
				});
				signal.throwIfAborted();
				try {
					return {kind: 'ran', report, files: await engine.writeDrillReports(report, env)};
				} catch (error) {
					return {kind: 'ran', report, reportError: describeError(error)};
				}
			} finally {
				await opened.close();
			}
		}, handlers);
	return {...task, start};
}
