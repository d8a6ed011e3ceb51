import {diffSides} from '../../core/diff/diff-sides.js';
import type {DiffProgress, DiffResult, DiffSideInput} from '../../core/diff/diff-types.js';
import {outsideRestore} from '../../core/errors.js';
import {useConsole} from '../console-context.js';
import {openBackupRef, type BackupRef} from '../destination-access.js';
import {useTask} from './use-task.js';

/**
 * `backup diff` from the console: two backups (local or at a destination, one passphrase for the
 * encrypted ones), or a backup against the live store (`b` undefined: the console's data dir).
 */
export function useDiff() {
	const {env, gateway} = useConsole();
	const task = useTask<DiffResult, DiffProgress>();
	const start = (a: BackupRef, b: BackupRef | undefined, passphrase?: string) =>
		task.start(async (signal, onProgress) => {
			const opened: Array<{close(): Promise<void>}> = [];
			try {
				const open = async (ref: BackupRef): Promise<DiffSideInput> => {
					const backup = await openBackupRef(ref, passphrase, env);
					opened.push(backup);
					return {kind: 'backup', source: backup.source};
				};
				const sideA = await open(a);
				const sideB: DiffSideInput = b === undefined ? {kind: 'live', dataDir: gateway.dataDir} : await open(b);
				return await diffSides(sideA, sideB, {signal, onProgress});
			} catch (error) {
				throw outsideRestore(error);
			} finally {
				for (const backup of opened) await backup.close();
			}
		});
	return {...task, start};
}
