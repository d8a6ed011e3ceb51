import {Text} from 'ink';
import {Frame} from '../components/Frame.js';
import {useConsole} from '../console-context.js';
import {useCommands} from '../keys.js';

export function QuarantineScreen() {
	const {nav} = useConsole();
	useCommands({back: nav.home});
	return (
		<Frame title="Quarantine" commands={['back']}>
			<Text>Quarantine is not in this build yet.</Text>
		</Frame>
	);
}
