import {useEffect, useState} from 'react';
import type {CommandHandlers, CommandName} from '../keys.js';

/** Where a running job's Esc is: not pressed, asking "cancel? y/n", or cancelling (y pressed). */
export type CancelPhase = 'idle' | 'asking' | 'cancelling';

/**
 * Esc on a long job asks first instead of throwing the work away. The job keeps running while
 * the question is shown; n or Esc goes back to its progress, y cancels. A job that ends while
 * asked just ends (the question goes with it). The screen merges `handlers` into its own and
 * shows `commands` in its help line.
 */
export function useConfirmCancel(running: boolean, cancel: () => void): {phase: CancelPhase; handlers: CommandHandlers; commands: CommandName[]} {
	const [phase, setPhase] = useState<CancelPhase>('idle');
	useEffect(() => {
		if (!running) setPhase('idle');
	}, [running]);
	if (!running) return {phase: 'idle', handlers: {}, commands: []};
	if (phase === 'asking') {
		return {
			phase,
			handlers: {
				yes: () => {
					setPhase('cancelling');
					cancel();
				},
				no: () => setPhase('idle'),
			},
			commands: ['yes', 'no'],
		};
	}
	if (phase === 'cancelling') return {phase, handlers: {}, commands: []};
	return {phase, handlers: {cancel: () => setPhase('asking')}, commands: ['cancel']};
}
