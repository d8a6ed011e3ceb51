/**
 * The bench's timed cases and how they run: every case of a set once per round, the rounds
 * repeated (A B C A B C …, never all of A then all of B, so a machine that slows down or speeds up
 * during the run weighs on every case alike), each case's median kept. Each case belongs to one
 * gateway and is compared only with the baseline of that gateway timed in the same rounds.
 */
import fs from 'node:fs';
import path from 'node:path';
import {ARCHIVE_FORMATS, archiveExtension, type ArchiveFormat} from '../core/archive/archive-format.js';
import {hasProgram, lifeboat, medianRun, timeCommand, type Run} from './bench-tools.js';

export type Gateway = {key: string; title: string; dir: string; bytes: number};

export type Case = {
	label: string;
	gateway: Gateway;
	/** `baseline`: `tar czf` of the gateway, what the gateway's other rows are compared with. */
	role: 'baseline' | 'tool' | 'create' | 'verify';
	command: string;
	args: string[];
	/** The file or folder the case writes (removed before each run), or the one it reads. */
	output: string;
	/** Removed before each run (false for verify: it reads what a create case wrote). */
	writes: boolean;
	format?: ArchiveFormat;
	encrypted?: boolean;
};

export type Measured = Case & {run: Run; runs: Run[]};

/** Runs every case once per round, `repeat` rounds, and keeps each case's medians (medianRun). */
export async function runInterleaved(cases: Case[], repeat: number, progress: (text: string) => void): Promise<Measured[]> {
	const runs = cases.map((): Run[] => []);
	for (let round = 0; round < repeat; round++) {
		for (const [index, item] of cases.entries()) {
			progress(`  round ${round + 1}/${repeat}: ${item.label} (${item.gateway.title})`);
			if (item.writes) fs.rmSync(item.output, {recursive: true, force: true});
			runs[index]!.push(await timeCommand(item.label, item.command, item.args, item.output));
		}
	}
	return cases.map((item, index) => ({...item, run: medianRun(runs[index]!), runs: runs[index]!}));
}

/** Whether this build writes tar.zst (and the system zstd it needs is present). */
export function zstdFormatAvailable(): boolean {
	return (ARCHIVE_FORMATS as readonly string[]).includes('tar.zst') && hasProgram('zstd');
}

/** `tar czf` of the gateway (the baseline), then the other tools on the same data. */
export function toolCases(gateway: Gateway, out: string, cores: number, withTools: boolean): Case[] {
	const file = (name: string) => path.join(out, `${gateway.key}-${name}`);
	const shell = (label: string, script: string, output: string): Case => ({label, gateway, role: 'tool', command: '/bin/sh', args: ['-c', script, 'sh', gateway.dir, output], output, writes: true});
	const baseline: Case = {label: 'tar czf (baseline)', gateway, role: 'baseline', command: 'tar', args: ['czf', file('tar.tar.gz'), '-C', gateway.dir, '.'], output: file('tar.tar.gz'), writes: true};
	if (!withTools) return [baseline];
	const cases = [baseline];
	if (hasProgram('pigz')) cases.push(shell(`tar | pigz -p ${cores}`, `tar cf - -C "$1" . | pigz -p ${cores} > "$2"`, file('pigz.tar.gz')));
	if (hasProgram('zstd')) cases.push({label: 'tar --zstd', gateway, role: 'tool', command: 'tar', args: ['--zstd', '-cf', file('tar.tar.zst'), '-C', gateway.dir, '.'], output: file('tar.tar.zst'), writes: true});
	return cases;
}

/** A `lifeboat backup create` of the gateway. */
export function createCase(gateway: Gateway, out: string, format: ArchiveFormat, passphraseFile?: string): Case {
	const name = `${gateway.key}-lb-${format.replace('.', '')}${passphraseFile ? '-enc' : ''}`;
	const extra = passphraseFile ? ['--passphrase-file', passphraseFile] : [];
	const [command, args] = lifeboat(['backup', 'create', '--data-dir', gateway.dir, '--dest', out, '--name', name, '--format', format, ...extra]);
	const output = path.join(out, `${name}${archiveExtension(format)}${passphraseFile ? '.enc' : ''}`);
	const label = `lifeboat ${format === 'dir' ? 'folder' : format}${passphraseFile ? ' + encryption' : ''}`;
	return {label, gateway, role: 'create', command, args, output, writes: true, format, encrypted: Boolean(passphraseFile)};
}

/** `lifeboat backup verify` of what a create case wrote. */
export function verifyCase(created: Case, passphraseFile?: string): Case {
	const extra = created.encrypted && passphraseFile ? ['--passphrase-file', passphraseFile] : [];
	const [command, args] = lifeboat(['backup', 'verify', created.output, ...extra]);
	return {label: `lifeboat verify (${created.format}${created.encrypted ? ', encrypted' : ''})`, gateway: created.gateway, role: 'verify', command, args, output: created.output, writes: false, format: created.format, encrypted: created.encrypted};
}

/** The formats timed on the main gateway: every one this build writes. */
export function benchFormats(): ArchiveFormat[] {
	const formats: ArchiveFormat[] = ['zip', 'tar.gz'];
	if (zstdFormatAvailable()) formats.push('tar.zst' as ArchiveFormat);
	return formats;
}
