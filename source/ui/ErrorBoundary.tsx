import {Text} from './components/Text.js';
import {Component, type ReactNode} from 'react';
import {describeError} from './describe-error.js';

/**
 * Catches a render error before Ink's own overview (which prints a stack trace) can: one red
 * line, and the host (run-tui) unmounts and exits non-zero.
 */
export class ErrorBoundary extends Component<{children: ReactNode; onFatal: (error: unknown) => void}, {error?: unknown}> {
	override state: {error?: unknown} = {};

	static getDerivedStateFromError(error: unknown) {
		return {error};
	}

	override componentDidCatch(error: unknown) {
		this.props.onFatal(error);
	}

	override render() {
		if (this.state.error !== undefined) {
			return <Text color={process.env['NO_COLOR'] ? undefined : 'red'}>✗ {describeError(this.state.error)} — the console stopped (LIFEBOAT_DEBUG=1 for details)</Text>;
		}
		return this.props.children;
	}
}
