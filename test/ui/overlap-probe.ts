import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {stripVTControlCharacters} from 'node:util';

/**
 * Catches the class of layout defect where two Ink boxes are drawn on the same cells (Yoga
 * shrinks a box below its text, the text is drawn anyway, over its neighbour). Ink composes a
 * frame from a list of writes (one per text node or border) and clip regions; the probe replays
 * that list, applying the clips as Ink does, and records every cell written by two writes.
 */
export type Collision = {x: number; y: number; first: string; second: string};

type Clip = {x1?: number; x2?: number; y1?: number; y2?: number};
type Operation = {type: 'write'; x: number; y: number; text: string} | {type: 'clip'; clip: Clip} | {type: 'unclip'};
type OutputPrototype = {get(this: {operations: Operation[]; width: number; height: number}): unknown};

let collisions: Collision[] = [];
let composed = 0;

/** Patches Ink's Output (the very module instance Ink renders with) once per test file. */
export async function installOverlapProbe(): Promise<void> {
	const inkEntry = createRequire(import.meta.url).resolve('ink');
	const module = (await import(pathToFileURL(path.join(path.dirname(inkEntry), 'output.js')).href)) as {default: {prototype: OutputPrototype}};
	const proto = module.default.prototype;
	const original = proto.get;
	if ((original as {probed?: boolean}).probed) return;
	const patched = function (this: {operations: Operation[]; width: number; height: number}) {
		collisions = findCollisions(this.operations, this.width, this.height);
		composed++;
		return original.call(this);
	};
	(patched as {probed?: boolean}).probed = true;
	proto.get = patched;
}

/** The collisions of the last frame Ink composed. */
export function lastCollisions(): Collision[] {
	return collisions;
}

/** How many frames were composed since the probe was installed (proves the probe is live). */
export function composedFrames(): number {
	return composed;
}

function findCollisions(operations: readonly Operation[], width: number, height: number): Collision[] {
	const owner = new Map<number, string>();
	const found: Collision[] = [];
	const pairs = new Set<string>();
	const clips: Clip[] = [];
	for (const operation of operations) {
		if (operation.type === 'clip') clips.push(operation.clip);
		if (operation.type === 'unclip') clips.pop();
		if (operation.type !== 'write') continue;
		const clip = clips.at(-1);
		const lines = operation.text.split('\n');
		for (const [index, line] of lines.entries()) {
			const y = operation.y + index;
			if (y < 0 || y >= height) continue;
			if (clip && typeof clip.y1 === 'number' && typeof clip.y2 === 'number' && (y < clip.y1 || y >= clip.y2)) continue;
			const lineWidth = [...stripVTControlCharacters(line)].length;
			for (let x = operation.x; x < operation.x + lineWidth; x++) {
				if (x < 0 || x >= width) continue;
				if (clip && typeof clip.x1 === 'number' && typeof clip.x2 === 'number' && (x < clip.x1 || x >= clip.x2)) continue;
				const cell = y * width + x;
				const previous = owner.get(cell);
				// One report per pair of lines drawn over each other, at the first cell they share.
				if (previous !== undefined && !pairs.has(`${previous}\n${line}`) && found.length < 20) {
					pairs.add(`${previous}\n${line}`);
					found.push({x, y, first: previous, second: line});
				}
				owner.set(cell, line);
			}
		}
	}
	return found;
}
