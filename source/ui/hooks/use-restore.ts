import type {ArchiveSource} from '../../core/archive/archive-reader.js';
import type {BackupMetadata} from '../../core/archive/archive-format.js';
import {readMetadata} from '../../core/backup/read-metadata.js';
import {getConflictDetail, planRestore, type ConflictDetail, type RestoreOptions, type RestorePlan, type RestoreProgress, type RestoreResult} from '../../core/restore/index.js';
import {useConsole} from '../console-context.js';
import {openBackupRef, type BackupRef} from '../destination-access.js';
import {useTask, type TaskHandlers} from './use-task.js';

export type RestoreProgressView = RestoreProgress & {elapsedMs: number};

type BaseOptions = Omit<RestoreOptions, 'source' | 'signal' | 'onProgress'>;

/** An opened backup; `close` releases its destination (a remote one is read by ranges until then). */
export type OpenedBackup = {source: ArchiveSource; metadata: BackupMetadata; close: () => Promise<void>};

/** Opens a backup, local or at a destination (unlocking it when encrypted), and reads its metadata. */
export function useOpenBackup() {
	const {env} = useConsole();
	const task = useTask<OpenedBackup>();
	const start = (ref: BackupRef, passphrase: string | undefined, handlers?: TaskHandlers<OpenedBackup>) =>
		task.start(async () => {
			const opened = await openBackupRef(ref, passphrase, env);
			try {
				return {...opened, metadata: await readMetadata(opened.source)};
			} catch (error) {
				await opened.close();
				throw error;
			}
		}, handlers);
	return {...task, start};
}

function withProgress(options: BaseOptions, source: ArchiveSource, signal: AbortSignal, onProgress: (progress: RestoreProgressView) => void): RestoreOptions {
	const began = Date.now();
	return {...options, source, signal, onProgress: progress => onProgress({...progress, elapsedMs: Date.now() - began})};
}

/** The dry run: planRestore, with verify and plan progress. */
export function useRestorePlan() {
	const task = useTask<RestorePlan, RestoreProgressView>();
	const start = (options: BaseOptions, source: ArchiveSource, handlers?: TaskHandlers<RestorePlan>) =>
		task.start((signal, onProgress) => planRestore(withProgress(options, source, signal, onProgress)), handlers);
	return {...task, start};
}

/** The real thing: applyRestore, with progress. */
export function useApplyRestore() {
	const {engine} = useConsole();
	const task = useTask<RestoreResult, RestoreProgressView>();
	const start = (options: BaseOptions, source: ArchiveSource, handlers?: TaskHandlers<RestoreResult>) =>
		task.start((signal, onProgress) => engine.applyRestore(withProgress(options, source, signal, onProgress)), handlers);
	return {...task, start};
}

/** One conflicting entity, the backup's version beside the live one. */
export function useConflictDetail() {
	const task = useTask<ConflictDetail>();
	const start = (options: BaseOptions, source: ArchiveSource, ref: {category: ConflictDetail['category']; table: string; id: string}) =>
		task.start(signal => getConflictDetail({...options, source, signal}, ref.category, ref.table, ref.id));
	return {...task, start};
}
