import type {BackupProgress, BackupResult, CreateBackupOptions} from '../../core/backup/create-backup.js';
import {readPassphraseFile} from '../../core/backup/passphrase-file.js';
import {useConsole} from '../console-context.js';
import {useTask, type TaskHandlers} from './use-task.js';

/** A backup's progress as the screen shows it: the engine's event plus elapsed archive time. */
export type CreateProgress = BackupProgress & {archiveMs: number};

/** Runs createBackup with progress; a passphrase file is read when the job starts. */
export function useCreateBackup() {
	const {engine} = useConsole();
	const task = useTask<BackupResult, CreateProgress>();
	const start = (options: CreateBackupOptions, passphraseFile: string | undefined, handlers?: TaskHandlers<BackupResult>) =>
		task.start(async (signal, onProgress) => {
			const passphrase = passphraseFile ? await readPassphraseFile(passphraseFile) : options.passphrase;
			let archiveStartedAt: number | undefined;
			return engine.createBackup({
				...options,
				...(passphrase === undefined ? {} : {passphrase}),
				signal,
				onProgress: progress => {
					if (progress.phase === 'archive') archiveStartedAt ??= Date.now();
					onProgress({...progress, archiveMs: archiveStartedAt ? Date.now() - archiveStartedAt : 0});
				},
			});
		}, handlers);
	return {...task, start};
}
