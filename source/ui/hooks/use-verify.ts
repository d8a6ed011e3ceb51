import {openBackupSource} from '../../core/backup/backup-source.js';
import {verifyBackup, type VerifyProgress, type VerifyResult} from '../../core/backup/verify-backup.js';
import {useTask} from './use-task.js';

export type VerifyView = VerifyProgress & {elapsedMs: number};

/** Verifies a backup (decrypting it on the fly when a passphrase is given). */
export function useVerify() {
	const task = useTask<VerifyResult, VerifyView>();
	const start = (location: string, passphrase?: string) =>
		task.start(async (_signal, onProgress) => {
			const began = Date.now();
			const source = await openBackupSource(location, passphrase === undefined ? {} : {passphrase});
			return verifyBackup(source, {onProgress: progress => onProgress({...progress, elapsedMs: Date.now() - began})});
		});
	return {...task, start};
}
