/**
 * V8 collects a dead Buffer's memory only at a garbage collection, and a backup's JS allocates
 * so little besides its 256 KiB buffers that collections are rare: up to ~30 MB of dead buffers
 * piled up between them (V8 forces one only past 32 MB of young buffers). When the CLI runs with
 * `--expose-gc` (its shebang), the byte streams report what they allocate here and a young
 * generation collection (a scavenge of a 4 MiB semi-space: well under a millisecond) runs every
 * PACE_BYTES. Without `--expose-gc` (tests, `node dist/cli.js`) this does nothing.
 */
const PACE_BYTES = 4 * 1024 * 1024;

const collect = (globalThis as {gc?: (options: {type: 'minor' | 'major'}) => void}).gc;
let allocated = 0;

/** Counts `bytes` of short-lived buffers just allocated; collects the young generation every PACE_BYTES. */
export function bufferAllocated(bytes: number): void {
	if (!collect) return;
	allocated += bytes;
	if (allocated < PACE_BYTES) return;
	allocated = 0;
	collect({type: 'minor'});
}
