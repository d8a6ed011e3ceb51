/**
 * `destination test`: writes a small object, lists it, reads it back (whole and by a range),
 * deletes it, and reports each step with its time, stopping at the first failure. The object's
 * name has no archive extension, so a listing never takes it for a backup.
 */
import crypto from 'node:crypto';
import {Readable} from 'node:stream';
import {buffer} from 'node:stream/consumers';
import type {Destination} from './destination.js';

export type TestStep = {step: 'write' | 'list' | 'read' | 'delete'; ok: boolean; ms: number; detail: string};

export async function testDestination(destination: Destination, onStep?: (step: TestStep) => void): Promise<{ok: boolean; steps: TestStep[]}> {
	const name = `lifeboat-destination-test-${process.pid}-${crypto.randomBytes(4).toString('hex')}.txt`;
	const content = crypto.randomBytes(64 * 1024 + 17);
	const steps: TestStep[] = [];
	let written = false;
	const run = async (step: TestStep['step'], work: () => Promise<string>): Promise<boolean> => {
		const started = Date.now();
		let result: TestStep;
		try {
			result = {step, ok: true, ms: 0, detail: await work()};
		} catch (error) {
			result = {step, ok: false, ms: 0, detail: (error as Error).message.split('\n')[0]!};
		}
		result.ms = Date.now() - started;
		steps.push(result);
		onStep?.(result);
		return result.ok;
	};
	try {
		const ok =
			(await run('write', async () => {
				const sent = await destination.put(name, Readable.from([content]));
				written = true;
				return `wrote ${sent.size} bytes to ${destination.locate(name)}`;
			})) &&
			(await run('list', async () => {
				const listed = await destination.list();
				if (!listed.some(object => object.name === name && object.size === content.length)) throw new Error(`the test object is not in the listing (${listed.length} objects listed)`);
				return `listed ${listed.length} object${listed.length === 1 ? '' : 's'}, the test object among them`;
			})) &&
			(await run('read', async () => {
				const whole = await buffer(await destination.read(name));
				const range = await destination.readRange(name, 1000, 4096);
				if (!whole.equals(content) || !range.equals(content.subarray(1000, 5096))) throw new Error('the bytes read back differ from the bytes written');
				return `read back ${whole.length} bytes whole and 4096 by range: identical`;
			})) &&
			(await run('delete', async () => {
				await destination.delete(name);
				written = false;
				if (await destination.stat(name)) throw new Error('the test object is still there after delete');
				return 'deleted the test object';
			}));
		return {ok, steps};
	} finally {
		if (written) await destination.delete(name).catch(() => undefined);
	}
}
