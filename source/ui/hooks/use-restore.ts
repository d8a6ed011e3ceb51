import type {ArchiveSource} from '../../core/archive/archive-reader.js';
import type {BackupMetadata} from '../../core/archive/archive-format.js';
import {openBackupSource} from '../../core/backup/backup-source.js';
import {readMetadata} from '../../core/backup/read-metadata.js';
import {getConflictDetail, planRestore, type ConflictDetail, type RestoreOptions, type RestorePlan, type RestoreProgress, type RestoreResult} from '../../core/restore/index.js';
import {useConsole} from '../console-context.js';
import {useTask, type TaskHandlers} from './use-task.js';

export type RestoreProgressView = RestoreProgress & {elapsedMs: number};

type BaseOptions = Omit<RestoreOptions, 'source' | 'signal' | 'onProgress'>;

/** Opens a backup (unlocking it when encrypted) and reads its metadata. */
export function useOpenBackup() {
	const task = useTask<{source: ArchiveSource; metadata: BackupMetadata}>();
	const start = (location: string, passphrase: string | undefined, handlers?: TaskHandlers<{source: ArchiveSource; metadata: BackupMetadata}>) =>
		task.start(async () => {
			const source = await openBackupSource(location, passphrase === undefined ? {} : {passphrase});
			return {source, metadata: await readMetadata(source)};
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
