import fs from 'node:fs';

/** Test-only failure injection (never set in production): see the restore and backup tests. */
type TestHooks = {failAfterRows?: number; pauseAfterRows?: number; pauseAt?: string};

export function testHooks(): TestHooks {
	const raw = process.env['LIFEBOAT_TEST_HOOK'];
	if (!raw) return {};
	const [name, value] = raw.split(':');
	if (name === 'fail-after-rows') return {failAfterRows: Number(value)};
	if (name === 'pause-after-rows') return {pauseAfterRows: Number(value)};
	if (name === 'pause') return {pauseAt: value};
	return {};
}

/** Blocks the process for good (a test kills it): the point is to be killed mid-restore or mid-write. */
export function pauseForever(where: string): void {
	fs.writeSync(2, `LIFEBOAT_TEST_PAUSED ${where}\n`);
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
