import {formatBytes, formatCount, formatDuration} from '../../core/format.js';

export type Transfer = {bytesDone: number; bytesTotal: number; filesDone?: number; filesTotal?: number; elapsedMs: number};

export type TransferFigures = {ratio: number; bytes: string; files?: string; rate?: string; eta?: string};

/**
 * What a progress bar says: fraction, "12.0 MB / 40.1 MB", "35 / 120 files", rate and ETA.
 * Rate and ETA need half a second of data to mean anything, so they are absent before that.
 */
export function transferFigures(transfer: Transfer): TransferFigures {
	const {bytesDone, bytesTotal, elapsedMs} = transfer;
	const ratio = bytesTotal > 0 ? bytesDone / bytesTotal : transfer.filesTotal ? (transfer.filesDone ?? 0) / transfer.filesTotal : 0;
	const figures: TransferFigures = {ratio: Math.min(1, ratio), bytes: `${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)}`};
	if (transfer.filesTotal !== undefined) figures.files = `${formatCount(transfer.filesDone ?? 0)} / ${formatCount(transfer.filesTotal)} files`;
	if (elapsedMs >= 500 && bytesDone > 0) {
		const perSecond = bytesDone / (elapsedMs / 1000);
		figures.rate = `${formatBytes(Math.round(perSecond))}/s`;
		const remaining = Math.max(0, bytesTotal - bytesDone);
		figures.eta = remaining === 0 ? 'done' : formatDuration((remaining / perSecond) * 1000);
	}
	return figures;
}
