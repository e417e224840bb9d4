import { render } from 'preact';
import { App } from './app';
import { session } from './services';
import './styles/tokens.css';
import './styles/app.css';

void session.start();
render(<App />, document.getElementById('app')!);
