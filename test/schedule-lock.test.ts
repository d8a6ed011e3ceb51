/**
 * The schedule lock under races between real processes: of N processes taking a free lock, or a
 * stale one (its PID gone, or half-written by a process killed while writing it), exactly one
 * wins and the others name it as the holder.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {tempDir} from './helpers/temp-dir.js';

const LOCK_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/core/schedule/pid-lock.js');

/** A process that takes the lock, prints who won, and holds it until its stdin closes. */
const RACER = `
const {acquireLock, isLock} = await import(process.argv[1]);
// Every racer starts at the same instant (all are loaded by then).
while (Date.now() < Number(process.argv[3]));
const got = acquireLock(process.argv[2], 'racer');
process.stdout.write(JSON.stringify(isLock(got) ? {won: process.pid} : {holder: got.pid}) + '\\n');
process.stdin.resume();
process.stdin.on('end', () => { if (isLock(got)) got.release(); process.exit(0); });
`;

async function race(file: string, racers: number): Promise<Array<{won?: number; holder?: number; pid: number}>> {
	const start = String(Date.now() + 1500);
	const children = Array.from({length: racers}, () => spawn(process.execPath, ['--input-type=module', '-e', RACER, LOCK_MODULE, file, start], {stdio: ['pipe', 'pipe', 'inherit']}));
	const results = await Promise.all(
		children.map(
			child =>
				new Promise<{won?: number; holder?: number; pid: number}>((resolve, reject) => {
					let text = '';
					child.stdout!.on('data', (chunk: Buffer) => {
						text += chunk.toString('utf8');
						if (text.endsWith('\n')) resolve({...(JSON.parse(text) as object), pid: child.pid!});
					});
					child.on('error', reject);
				}),
		),
	);
	await Promise.all(children.map(child => new Promise(resolve => (child.on('close', resolve), child.stdin!.end()))));
	return results;
}

function expectOneWinner(results: Array<{won?: number; holder?: number; pid: number}>): void {
	const winners = results.filter(result => result.won !== undefined);
	expect(winners, JSON.stringify(results)).toHaveLength(1);
	for (const loser of results.filter(result => result.won === undefined)) expect(loser.holder).toBe(winners[0]!.pid);
}

describe('schedule lock', () => {
	const stale: Array<[string, string]> = [
		['free', ''],
		['stale: its PID is gone', JSON.stringify({pid: 999_999_999, since: '2026-01-01T00:00:00.000Z', what: 'daemon'})],
		['stale: half-written by a killed process', '{"pid": 12'],
		['stale: PID and child both gone', JSON.stringify({pid: 999_999_998, child: 999_999_997, since: '', what: 'daemon'})],
	];
	for (const [what, content] of stale) {
		it(`${what}: of 6 racing processes exactly one takes it`, async () => {
			for (let round = 0; round < 3; round++) {
				const file = path.join(tempDir('lifeboat-lock-'), 'locks', 'n.lock');
				if (content) {
					fs.mkdirSync(path.dirname(file), {recursive: true});
					fs.writeFileSync(file, content);
				}
				expectOneWinner(await race(file, 6));
				expect(fs.existsSync(file)).toBe(false);
				expect(fs.readdirSync(path.dirname(file))).toEqual([]);
			}
		});
	}
});
