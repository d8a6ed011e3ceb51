import type {BackupProgress, BackupResult, CreateBackupOptions} from '../../core/backup/create-backup.js';
import {readPassphraseFile} from '../../core/backup/passphrase-file.js';
import {resolveTarget} from '../../core/destinations/open-destination.js';
import {useConsole} from '../console-context.js';
import {useTask, type TaskHandlers} from './use-task.js';

/** A backup's progress as the screen shows it: the engine's event plus elapsed archive time. */
export type CreateProgress = BackupProgress & {archiveMs: number};

/**
 * Runs createBackup with progress; a passphrase file is read when the job starts. With `remote`
 * (a destination's name or URL) the destination is opened then, the archive streamed into it
 * (instead of `destDir`), and closed when the backup ends.
 */
export function useCreateBackup() {
	const {engine, env} = useConsole();
	const task = useTask<BackupResult, CreateProgress>();
	const start = (options: CreateBackupOptions, passphraseFile: string | undefined, handlers?: TaskHandlers<BackupResult>, remote?: string) =>
		task.start(async (signal, onProgress) => {
			const passphrase = passphraseFile ? await readPassphraseFile(passphraseFile) : options.passphrase;
			let archiveStartedAt: number | undefined;
			const target = remote === undefined ? undefined : await resolveTarget(remote, {env});
			const {destDir: _localFolder, ...rest} = options;
			try {
				return await engine.createBackup({
					...(target ? {...rest, remote: {destination: target.destination}} : options),
					...(passphrase === undefined ? {} : {passphrase}),
					signal,
					onProgress: progress => {
						if (progress.phase === 'archive') archiveStartedAt ??= Date.now();
						onProgress({...progress, archiveMs: archiveStartedAt ? Date.now() - archiveStartedAt : 0});
					},
				});
			} finally {
				await target?.destination.close();
			}
		}, handlers);
	return {...task, start};
}
