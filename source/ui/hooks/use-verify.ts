import {verifyBackup, type VerifyProgress, type VerifyResult} from '../../core/backup/verify-backup.js';
import {outsideRestore} from '../../core/errors.js';
import {useConsole} from '../console-context.js';
import {openBackupRef, type BackupRef} from '../destination-access.js';
import {useTask} from './use-task.js';

export type VerifyView = VerifyProgress & {elapsedMs: number};

/** Verifies a backup, local or at a destination (decrypting it on the fly when a passphrase is given). */
export function useVerify() {
	const {env} = useConsole();
	const task = useTask<VerifyResult, VerifyView>();
	const start = (ref: BackupRef, passphrase?: string) =>
		task.start(async (_signal, onProgress) => {
			const began = Date.now();
			const opened = await openBackupRef(ref, passphrase, env).catch(error => Promise.reject(outsideRestore(error)));
			try {
				return await verifyBackup(opened.source, {onProgress: progress => onProgress({...progress, elapsedMs: Date.now() - began})});
			} catch (error) {
				throw outsideRestore(error);
			} finally {
				await opened.close();
			}
		});
	return {...task, start};
}
